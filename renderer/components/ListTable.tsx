import type { ReactNode } from 'react';

interface ListTableProps {
  className: string;
  /** Read by screen readers only, where the card's title does not already say it. */
  caption?: string;
  columns: string[];
  /** Adds a last column, named only for screen readers, for each row's buttons. */
  actions?: boolean;
  /** The rows. */
  children: ReactNode;
}

/** A list of records as a table, with its column headings. */
export function ListTable({ className, caption, columns, actions, children }: ListTableProps) {
  return (
    <table className={className}>
      {caption ? <caption className="visually-hidden">{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
          {actions ? (
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
