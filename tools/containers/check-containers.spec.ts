import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkContainers, FILES, REPO_ROOT } from './check-containers.js';
import { formatProblem } from './problems.js';

const DASHBOARD = `${FILES.dashboards}/nomaly-overview.json`;

function original(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** The repository's file with one mistake seeded; fails if `from` is not in it (a vacuous seed). */
function seeded(path: string, from: string | RegExp, to: string): Record<string, string> {
  const text = original(path);
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`seed ${String(from)} not found in ${path}`);
  return { [path]: changed };
}

/** The problems of a check with the given files replaced, one line each. */
function problemsWith(overrides: Record<string, string>): string[] {
  return checkContainers({ overrides, promtool: false }).problems.map(formatProblem);
}

describe(checkContainers.name, () => {
  it('passes the repository as it is, promtool included when installed', () => {
    const { problems, notices } = checkContainers();
    expect(problems.map(formatProblem)).toEqual([]);
    expect(notices.join('\n')).toMatch(/promtool/);
  });

  describe('Dockerfile', () => {
    it('refuses a root user, by name or by uid', () => {
      expect(
        problemsWith(seeded(FILES.dockerfile, 'USER 10001:10001', 'USER root')),
      ).toContainEqual(
        expect.stringMatching(
          /Dockerfile: line \d+: image stage "auth-service": USER root must be a numeric uid/,
        ),
      );
      expect(problemsWith(seeded(FILES.dockerfile, 'USER 10001:10001', 'USER 0:0'))).toContainEqual(
        expect.stringMatching(/USER 0:0 is root/),
      );
      expect(problemsWith(seeded(FILES.dockerfile, 'USER 10001:10001\n', ''))).toContainEqual(
        expect.stringMatching(/image stage "detector-service": has no USER: it would run as root/),
      );
    });

    it('refuses latest, untagged and floating base images', () => {
      expect(
        problemsWith(
          seeded(
            FILES.dockerfile,
            'node:22.23.3-bookworm-slim AS runtime',
            'node:latest AS runtime',
          ),
        ),
      ).toContainEqual(expect.stringMatching(/base image "node:latest" uses the latest tag/));
      expect(
        problemsWith(
          seeded(FILES.dockerfile, 'node:22.23.3-bookworm-slim AS build', 'node AS build'),
        ),
      ).toContainEqual(expect.stringMatching(/base image "node" has no tag/));
      expect(
        problemsWith(
          seeded(
            FILES.dockerfile,
            'node:22.23.3-bookworm-slim AS build',
            'node:22-bookworm-slim AS build',
          ),
        ),
      ).toContainEqual(expect.stringMatching(/floating tag "22-bookworm-slim"/));
    });

    it('wants a HEALTHCHECK in every image', () => {
      const withoutShared = seeded(
        FILES.dockerfile,
        /# Liveness, as the Kubernetes probe asks it[^\n]*\nHEALTHCHECK[^\n]*\n[^\n]*\n/,
        '',
      );
      const problems = problemsWith(withoutShared);
      expect(problems).toContainEqual(
        'Dockerfile: image stage "model-service": has no HEALTHCHECK',
      );
      // The gateway's stage has its own.
      expect(problems.join('\n')).not.toMatch(/"gateway": has no HEALTHCHECK/);
    });

    it('wants tini as the entrypoint, no ADD of URLs, and npm ci', () => {
      expect(
        problemsWith(seeded(FILES.dockerfile, 'ENTRYPOINT ["tini", "--"]', 'ENTRYPOINT ["node"]')),
      ).toContainEqual(expect.stringMatching(/ENTRYPOINT must be the JSON form \["tini", "--"\]/));
      expect(
        problemsWith(
          seeded(
            FILES.dockerfile,
            'WORKDIR /app\n',
            'WORKDIR /app\nADD https://example.com/tool.tar.gz /opt/\n',
          ),
        ),
      ).toContainEqual(
        expect.stringMatching(/ADD https:\/\/example.com\/tool.tar.gz: fetch remote files/),
      );
      expect(
        problemsWith(
          seeded(FILES.dockerfile, 'npm ci --ignore-scripts --no-audit', 'npm install --no-audit'),
        ),
      ).toContainEqual(expect.stringMatching(/RUN npm install: use npm ci/));
    });

    it("ties each image's CMD to its app's serve target", () => {
      expect(
        problemsWith(
          seeded(
            FILES.dockerfile,
            '"apps/detector-service/dist/main.js"',
            '"apps/detector-service/dist/server.js"',
          ),
        ),
      ).toContainEqual(
        expect.stringMatching(
          /"detector-service": CMD .* differs from apps\/detector-service\/project.json serve/,
        ),
      );
      const renamed = checkContainers({
        overrides: seeded(
          FILES.dockerfile,
          'FROM runtime AS model-service',
          'FROM runtime AS model-svc',
        ),
        promtool: false,
      });
      expect(renamed.problems.map(formatProblem)).toEqual([
        'Dockerfile: apps/model-service has a serve target but no image stage "model-service"',
      ]);
      expect(renamed.notices).toContainEqual(
        'Dockerfile: image stage "model-svc" names no app with a serve target and src/main.ts under apps/',
      );
    });

    it('reports what dockerfile-utils finds', () => {
      expect(
        problemsWith(
          seeded(
            FILES.dockerfile,
            'HEALTHCHECK --interval=15s',
            'HEALTHCHECK --interval=15parsecs',
          ),
        ),
      ).toContainEqual(expect.stringMatching(/\(dockerfile-utils\)$/));
    });
  });

  it('keeps the build inputs in the Docker context and host trees out', () => {
    expect(problemsWith(seeded(FILES.dockerignore, '**/node_modules\n', ''))).toContainEqual(
      '.dockerignore: must exclude node_modules (host-built trees must not enter the image)',
    );
    expect(problemsWith(seeded(FILES.dockerignore, '.ci\n', '.ci\ntools\n'))).toContainEqual(
      '.dockerignore: "tools" excludes tools/containers/stage-runtime.ts, which the Dockerfile needs',
    );
  });

  describe('Compose', () => {
    it('catches a misspelled key with the Compose schema', () => {
      const problems = problemsWith(
        seeded(FILES.compose, /(\n {4})healthcheck:(\n {6}test: \['CMD-SHELL')/, '$1helthcheck:$2'),
      );
      expect(problems).toContainEqual(
        'docker-compose.yml: schema: services/postgres: unknown key "helthcheck"',
      );
      expect(problems).toContainEqual(
        'docker-compose.yml: services.postgres: has no healthcheck and is not a one-shot that others wait for',
      );
    });

    it('catches a wrong type with the Compose schema', () => {
      expect(
        problemsWith(seeded(FILES.compose, /ports:\n\s+- 127\.0\.0\.1:8080:8080/, 'ports: 8080')),
      ).toContainEqual('docker-compose.yml: schema: services/gateway/ports: must be array');
    });

    it('catches a dependency on a missing service', () => {
      const problems = problemsWith(
        seeded(
          FILES.compose,
          /(\n {6})migrate-detector-service:(\n {8}condition: service_completed)/,
          '$1migrate-detector:$2',
        ),
      );
      expect(problems).toContainEqual(
        'docker-compose.yml: services.detector-service: depends_on migrate-detector, which is not a service',
      );
    });

    it('refuses privileged services, latest images and host paths outside the repository', () => {
      expect(
        problemsWith(
          seeded(
            FILES.compose,
            '    image: redis:7.4.6-bookworm\n',
            '    image: redis:7.4.6-bookworm\n    privileged: true\n',
          ),
        ),
      ).toContainEqual('docker-compose.yml: services.redis: is privileged');
      expect(
        problemsWith(
          seeded(FILES.compose, 'image: postgres:15.20-bookworm', 'image: postgres:latest'),
        ),
      ).toContainEqual(
        'docker-compose.yml: services.postgres: image "postgres:latest" uses the latest tag',
      );
      expect(
        problemsWith(seeded(FILES.compose, './istio:/istio:ro', './istio-routes:/istio:ro')),
      ).toContainEqual(
        'docker-compose.yml: services.gateway: mounts ./istio-routes does not exist in the repository',
      );
    });

    it('holds the services to the deployment contract', () => {
      expect(
        problemsWith(
          seeded(FILES.compose, /(SERVICE_NAME: detector-service\n\s+PORT: )'8000'/, "$1'9000'"),
        ),
      ).toContainEqual(
        'docker-compose.yml: services.detector-service: PORT is "9000", the contract says 8000',
      );
      expect(
        problemsWith(
          seeded(FILES.compose, '      DATASET_SERVICE_GRPC_URL: dataset-service:50052\n', ''),
        ),
      ).toContainEqual(
        'docker-compose.yml: services.detector-service: environment lacks DATASET_SERVICE_GRPC_URL (deploy contract)',
      );
    });

    it('lets no development secret into the production configuration', () => {
      const problems = problemsWith(
        seeded(FILES.composeProd, /\n {2}SECRET_KEY: \$\{SECRET_KEY:\?[^}]*\}/, ''),
      );
      expect(problems).toContainEqual(
        'docker-compose.yml + docker-compose.prod.yml: services.detector-service: SECRET_KEY still carries a development-only value',
      );
    });
  });

  describe('monitoring', () => {
    it('catches a dashboard metric that no code exports', () => {
      expect(
        problemsWith(
          seeded(
            DASHBOARD,
            'max by (service, operation) (nomaly_circuit_breaker_state',
            'max by (service, operation) (nomaly_circuit_breaker_status',
          ),
        ),
      ).toContainEqual(
        'charts/nomaly/dashboards/nomaly-overview.json: panel 10 "Circuit breaker state": metric nomaly_circuit_breaker_status is exported by no code under apps/ or libs/',
      );
    });

    it('catches a panel data source that resolves to nothing', () => {
      const dashboard = JSON.parse(original(DASHBOARD)) as {
        panels: { title: string; datasource: unknown }[];
      };
      const panel = dashboard.panels.find((p) => p.title === 'Request rate');
      if (panel === undefined) throw new Error(`${DASHBOARD} has no panel "Request rate"`);
      panel.datasource = { type: 'influxdb', uid: 'influx' };
      expect(problemsWith({ [DASHBOARD]: JSON.stringify(dashboard) })).toContainEqual(
        `${DASHBOARD}: panel 2 "Request rate": datasource {"type":"influxdb","uid":"influx"} resolves to no variable or provisioned uid`,
      );
    });

    it('catches a missing contract alert and an alert on a metric that does not exist', () => {
      expect(
        problemsWith(seeded(FILES.alerts, 'alert: HighErrorRate', 'alert: TooManyErrors')),
      ).toContainEqual(
        "monitoring/prometheus/alerts.yml: lacks the contract's alert HighErrorRate",
      );
      expect(
        problemsWith(
          seeded(
            FILES.alerts,
            'max by (service, operation) (nomaly_circuit_breaker_state)',
            'max by (service, operation) (nomaly_breaker_open)',
          ),
        ),
      ).toContainEqual(
        'monitoring/prometheus/alerts.yml: nomaly-dependencies.rules[0] CircuitBreakerOpen: metric nomaly_breaker_open is exported by no code under apps/ or libs/',
      );
    });

    it('catches a scrape target on a port the service does not listen on', () => {
      expect(problemsWith(seeded(FILES.prometheus, 'port: 8000', 'port: 9000'))).toContainEqual(
        'monitoring/prometheus/prometheus.yml: scrapes detector-service:9000, but detector-service listens on 8000',
      );
    });

    it('catches a dashboard provider path that Compose does not mount', () => {
      expect(
        problemsWith(
          seeded(
            `${FILES.dashboardProviders}/nomaly.yml`,
            'path: /etc/grafana/dashboards/nomaly',
            'path: /var/lib/grafana/dashboards',
          ),
        ),
      ).toContainEqual(
        'monitoring/grafana/provisioning/dashboards: provider path /var/lib/grafana/dashboards is not where docker-compose.prod.yml mounts ./charts/nomaly/dashboards',
      );
    });
  });
});
