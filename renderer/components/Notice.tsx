/** A failure the person must read before going on: announced at once, gone when there is none. */
export function ErrorNotice({ message }: { message: string | null | undefined }) {
  return message ? (
    <div className="notice notice--error" role="alert">
      {message}
    </div>
  ) : null;
}
