import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem document. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Builds an RFC 9457 problem document; the one place its shape is decided. */
export function problemDocument(status: number, detail: string, errors?: FieldError[], type?: string, extensions?: Record<string, unknown>): ProblemDocument {
  return {
    ...extensions,
    type: type ?? `https://scim-import.dev/problems/${(TITLES[status] ?? 'error').toLowerCase().replace(/ /g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** An HTTP error carried as a problem document. */
export class ProblemException extends HttpException {
  constructor(status: number, detail: string, errors?: FieldError[], type?: string, extensions?: Record<string, unknown>) {
    super(problemDocument(status, detail, errors, type, extensions), status);
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) => new ProblemException(HttpStatus.BAD_REQUEST, detail, errors);
export const notFound = (detail: string) => new ProblemException(HttpStatus.NOT_FOUND, detail);
export const conflict = (detail: string, errors?: FieldError[]) => new ProblemException(HttpStatus.CONFLICT, detail, errors);
export const unprocessable = (detail: string, errors?: FieldError[]) => new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, detail, errors);
