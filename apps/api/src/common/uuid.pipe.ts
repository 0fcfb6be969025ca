import { Injectable, type PipeTransform } from '@nestjs/common';
import { notFound } from './problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID cannot name anything: 404, not a database error. */
@Injectable()
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly what = 'resource') {}
  transform(value: string): string {
    if (!UUID.test(value)) throw notFound(`${this.what} ${JSON.stringify(value.slice(0, 64))} not found`);
    return value.toLowerCase();
  }
}
