/** Status and Table service error code of a @azure/data-tables RestError (Azurite puts the code in details). */
export function tableStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export const isConflict = (err: unknown): boolean => tableStatus(err) === 409;
export const isPreconditionFailed = (err: unknown): boolean => tableStatus(err) === 412;
export const isNotFound = (err: unknown): boolean => tableStatus(err) === 404;
