import { X509Certificate } from 'node:crypto';
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

const HTTP_URL = /^https?:\/\/[^\s/@?#]+?(?::(\d{1,5}))?(\/[^\s?#]*)?$/;

/** An http(s) URL without credentials, query or fragment, whose port (if any) is 1-65535. */
export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHttpUrl',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const m = HTTP_URL.exec(value);
          if (!m) return false;
          if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535)) return false;
          try {
            new URL(value);
            return true;
          } catch {
            return false;
          }
        },
      },
    },
    options,
  );
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** One or more PEM certificates that each parse as X.509, and nothing else but whitespace. */
export function IsPemCertificates(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPemCertificates',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const blocks = value.match(PEM_BLOCK) ?? [];
          if (!blocks.length || value.replace(PEM_BLOCK, '').trim() !== '') return false;
          try {
            for (const block of blocks) new X509Certificate(block);
            return true;
          } catch {
            return false;
          }
        },
      },
    },
    options,
  );
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** No control characters at all (CR and LF included): the value ends up in an HTTP header or a name. */
export function HasNoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'hasNoControlCharacters', validator: { validate: (value: unknown) => typeof value !== 'string' || !CONTROL.test(value) } }, options);
}

/** At least one character that is not white space. */
export function IsNotBlank(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isNotBlank', validator: { validate: (value: unknown) => typeof value !== 'string' || value.trim().length > 0 } }, options);
}

/** Characters a bearer token may be sent with (visible ASCII, RFC 6750 b64token and the like). */
export function IsHeaderToken(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'isHeaderToken', validator: { validate: (value: unknown) => typeof value !== 'string' || /^[\x21-\x7e]+$/.test(value) } }, options);
}

/**
 * A SCIM resource path relative to the connector's base URL: `/Devices`, `Devices` or
 * `/v2/Devices`; no `.` or `..` segment (also not percent-encoded), no scheme, query or fragment.
 */
export function IsRelativeResourcePath(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRelativeResourcePath',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && /^\/?[A-Za-z0-9_~-][A-Za-z0-9._~-]*(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*$/.test(value),
      },
    },
    options,
  );
}

/** The constraint name of IsOptionalNotNull; the validation pipe reports it alone (a null fails every type check too). */
export const NOT_NULL_CONSTRAINT = 'notNull';

/**
 * Optional, but never `null`: an omitted field keeps its value (PATCH) or takes its default (POST),
 * while `null` is refused as a field error. Use `IsOptional` only where `null` means something
 * (documented with `nullable: true`), since it lets `null` through to the service unchecked.
 */
export function IsOptionalNotNull(options?: ValidationOptions): PropertyDecorator {
  const present = ValidateIf((_object: unknown, value: unknown) => value !== undefined);
  const notNull = ValidateBy(
    {
      name: NOT_NULL_CONSTRAINT,
      validator: {
        validate: (value: unknown) => value !== null,
        defaultMessage: (args) => `${args?.property ?? 'the field'} must not be null: omit it instead (null is only accepted where the API documents a meaning for it)`,
      },
    },
    options,
  );
  return (target: object, property: string | symbol) => {
    present(target, property);
    notNull(target, property);
  };
}

/** A string, a finite number or a boolean (constants and default values of mappings). */
export function IsScalar(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isScalar',
      validator: {
        validate: (value: unknown) => typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)),
        defaultMessage: (args) => `${args?.property ?? 'the value'} must be a string, a number or a boolean`,
      },
    },
    options,
  );
}
