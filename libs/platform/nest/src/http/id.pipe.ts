import { Injectable, type PipeTransform } from '@nestjs/common';
import { ServiceError } from '@nomaly/platform-core';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A resource id in a path. Ids are UUIDs; anything else cannot name a resource, so it is
 * "not found" — the same answer as a missing id or another tenant's id.
 */
@Injectable()
export class ResourceIdPipe implements PipeTransform<string, string> {
  constructor(private readonly resource: string) {}

  transform(value: string): string {
    if (!UUID.test(value)) {
      throw new ServiceError('NOT_FOUND', `No ${this.resource} with id ${value.slice(0, 64)}.`);
    }
    return value.toLowerCase();
  }
}
