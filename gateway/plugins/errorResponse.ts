/** A GraphQL-shaped error answer for requests refused before execution. */
export interface ErrorResponseInit {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/** The content type of every JSON answer. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/** The body of an error answer. */
export function errorBody({ code, message }: Pick<ErrorResponseInit, "code" | "message">): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

export function errorResponse(ResponseClass: typeof Response, init: ErrorResponseInit): Response {
  return new ResponseClass(errorBody(init), {
    status: init.status,
    headers: { "content-type": JSON_CONTENT_TYPE, ...init.headers },
  });
}
