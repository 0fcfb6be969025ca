import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { NOT_NULL_CONSTRAINT } from './field-validators';
import { badRequest, type FieldError } from './problem';

/** Flattens class-validator errors into `{field, message}` with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    const constraints = e.constraints ?? {};
    // a null fails every type and length rule as well; "must not be null" is the one thing to say
    if (constraints[NOT_NULL_CONSTRAINT]) out.push({ field, message: constraints[NOT_NULL_CONSTRAINT] });
    else if (e.value === null && Object.keys(constraints).length > 0) out.push({ field, message: `${e.property} is required and must not be null` });
    else for (const message of Object.values(constraints)) out.push({ field, message });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** Validation that rejects unknown fields and reports every offending field at once. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => badRequest('request validation failed', flattenValidationErrors(errors)),
  });
}
