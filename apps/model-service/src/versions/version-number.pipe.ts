import { Injectable, type PipeTransform } from '@nestjs/common';
import { ServiceError } from '@nomaly/platform-core';

const VERSION = /^[1-9][0-9]{0,9}$/;
const MAX_VERSION = 2_147_483_647;

/** Parses a version number; anything else cannot name a version, so it is "not found". */
export function parseVersionNumber(value: string | number): number | undefined {
  const text = String(value);
  if (!VERSION.test(text)) return undefined;
  const version = Number(text);
  return version <= MAX_VERSION ? version : undefined;
}

/** A version number in a path: a positive 32-bit integer, or 404 like a missing version. */
@Injectable()
export class VersionNumberPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const version = parseVersionNumber(value);
    if (version === undefined) {
      throw new ServiceError('NOT_FOUND', `No version ${value.slice(0, 32)} of this model.`);
    }
    return version;
  }
}
