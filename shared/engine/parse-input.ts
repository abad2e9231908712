import type * as z from 'zod';
import { InvalidDataError } from '../errors.ts';

/**
 * Parses a task's input, failing without retries (InvalidDataError) with every bad field named.
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
  throw new InvalidDataError(`invalid task input: ${problems.join('; ')}`);
}
