import { useForm, type DefaultValues, type FieldValues, type UseFormReturn } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import type { z } from 'zod';
import { humanIssue } from '../forms';

/**
 * A form checked by the same zod schema the core uses, with our wording for the issues the schema
 * leaves generic, so a form refuses in the browser exactly what the core would refuse.
 */
export function useZodForm<I extends FieldValues, O extends FieldValues>(
  schema: z.ZodType<O, I>,
  defaultValues: DefaultValues<I>,
): UseFormReturn<I, unknown, O> {
  return useForm<I, unknown, O>({
    resolver: zodResolver(schema, { error: humanIssue }),
    defaultValues,
  });
}
