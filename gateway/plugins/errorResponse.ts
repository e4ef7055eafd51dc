/** A GraphQL-shaped error answer for requests refused before execution. */
export interface ErrorResponseInit {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export function errorResponse(
  ResponseClass: typeof Response,
  { status, code, message, headers = {} }: ErrorResponseInit,
): Response {
  return new ResponseClass(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
