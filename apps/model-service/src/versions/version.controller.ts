import { Body, Controller, Get, Headers, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Page, Principal } from '@nomaly/platform-core';
import {
  ApiPageQuery,
  CurrentPrincipal,
  PageParams,
  RequireRole,
  ResourceIdPipe,
  type PageRequest,
} from '@nomaly/platform-nest';
import type { FastifyReply } from 'fastify';
import { encodeDocument } from '../artifacts/artifact.js';
import { PublishVersionDto, VersionDto } from './version.dto.js';
import { VersionNumberPipe } from './version-number.pipe.js';
import { EMPTY_LINEAGE, VersionService } from './version.service.js';

/** Versions of a model: viewers read, analysts publish. */
@ApiTags('versions')
@ApiBearerAuth()
@RequireRole('viewer')
@Controller('api/v1/models/:id/versions')
export class VersionController {
  constructor(private readonly versions: VersionService) {}

  @Post()
  @RequireRole('analyst')
  @ApiOperation({
    summary: 'Publish a version: the model document and its metadata, stored atomically',
    description:
      'The document is loaded with detection-core first: one that is tampered with, of an unknown format or version, or of another algorithm than the model’s is refused with 422 and nothing is stored. The artifact is stored as the document’s RFC 8785 canonical JSON.',
  })
  @ApiCreatedResponse({ type: VersionDto })
  async publish(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
    @Body() body: PublishVersionDto,
  ): Promise<VersionDto> {
    return this.versions.publish(principal.tenantId, {
      target: { modelId: id },
      artifact: encodeDocument(body.document),
      trainingDurationMs: body.trainingDurationMs ?? null,
      metrics:
        body.metrics === undefined
          ? null
          : {
              rocAuc: body.metrics.rocAuc ?? null,
              averagePrecision: body.metrics.averagePrecision ?? null,
            },
      lineage: {
        ...EMPTY_LINEAGE,
        ...(body.lineage === undefined
          ? {}
          : {
              datasetId: body.lineage.datasetId?.toLowerCase() ?? null,
              datasetChecksum: body.lineage.datasetChecksum ?? null,
              detectorId: body.lineage.detectorId?.toLowerCase() ?? null,
              codeVersion: body.lineage.codeVersion ?? null,
            }),
      },
      publishKey: null,
    });
  }

  @Get()
  @ApiPageQuery()
  @ApiOperation({ summary: 'List versions, oldest first (metadata only)' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
    @PageParams() page: PageRequest,
  ): Promise<Page<VersionDto>> {
    return this.versions.list(principal.tenantId, id, page.limit, page.cursor);
  }

  @Get(':version')
  @ApiOkResponse({ type: VersionDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
    @Param('version', VersionNumberPipe) version: number,
  ): Promise<VersionDto> {
    return this.versions.get(principal.tenantId, id, version);
  }

  @Get(':version/artifact')
  @ApiProduces('application/json')
  @ApiOperation({
    summary: 'The model document, byte for byte as stored, after verifying its SHA-256',
    description:
      'The `ETag` is the SHA-256 of the bytes (also in `X-Artifact-SHA256`); a matching `If-None-Match` answers 304. A stored artifact that fails verification is never served (500, code INTERNAL, reason ARTIFACT_INTEGRITY).',
  })
  async artifact(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ResourceIdPipe('model')) id: string,
    @Param('version', VersionNumberPipe) version: number,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer | undefined> {
    const { artifact } = await this.versions.artifact(principal.tenantId, id, version);
    const etag = `"${artifact.sha256}"`;
    void reply
      .header('ETag', etag)
      .header('X-Artifact-SHA256', artifact.sha256)
      // Immutable per version: caches may keep it, but only for this caller (it is tenant data).
      .header('Cache-Control', 'private, max-age=31536000, immutable');
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === etag)) {
      void reply.status(304);
      return undefined;
    }
    void reply.type('application/json');
    return artifact.bytes;
  }
}
