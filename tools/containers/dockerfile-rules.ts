import {
  DockerfileParser,
  JSONInstruction,
  type Copy,
  type From,
  type Healthcheck,
  type Instruction,
} from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { type Problem, unpinnedImageReason } from './problems.js';

/**
 * Lint of the repository's Dockerfile: the syntax and semantic checks of dockerfile-utils (the
 * validator behind VS Code's Docker extension: unknown flags, bad durations, malformed JSON
 * forms, invalid stage names, …) plus the rules of our deployment contract, which no generic
 * linter knows: pinned base images, a non-root numeric USER, a HEALTHCHECK, tini as the
 * ENTRYPOINT, no ADD of URLs, `npm ci` rather than `npm install`, and one image stage per app
 * whose CMD is the app's `serve` command.
 */

/** What the Dockerfile must package: each app (folder under apps/) and its start command. */
export interface DockerfileExpectations {
  readonly apps: ReadonlyMap<string, readonly string[]>;
  /** The contract's WORKDIR. */
  readonly workdir: string;
}

interface Stage {
  readonly index: number;
  readonly from: From;
  /** Lower-cased `AS` name, if any. */
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** The argv of a JSON-form instruction, or undefined when it is in shell form. */
function jsonArgv(instruction: Instruction): string[] | undefined {
  if (!(instruction instanceof JSONInstruction)) return undefined;
  const strings = instruction.getJSONStrings();
  return strings.length === 0 ? undefined : strings.map((s) => s.getJSONValue());
}

function lineOf(instruction: Instruction): string {
  return `line ${instruction.getRange().start.line + 1}`;
}

function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as From;
      stages.push({
        index: stages.length,
        from,
        name: from.getBuildStage()?.toLowerCase() ?? undefined,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

const VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

/**
 * Lints a Dockerfile's text; `file` names it in the problems. Notices: image stages that name no
 * app (yet): an app still being written may get its stage before its entry point exists.
 */
export function lintDockerfile(
  text: string,
  file: string,
  expectations: DockerfileExpectations,
): { problems: Problem[]; notices: string[] } {
  const problems: Problem[] = [];
  const notices: string[] = [];
  const report = (where: string | undefined, message: string): void => {
    problems.push(where === undefined ? { file, message } : { file, where, message });
  };

  for (const diagnostic of validate(text)) {
    report(
      `line ${diagnostic.range.start.line + 1}`,
      `${typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value} (dockerfile-utils)`,
    );
  }

  const dockerfile = DockerfileParser.parse(text);
  const globalArgs = new Map<string, string | undefined>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property !== null) globalArgs.set(property.getName(), property.getValue() ?? undefined);
  }
  const stages = stagesOf(dockerfile.getInstructions());
  if (stages.length === 0) {
    report(undefined, 'has no FROM instruction');
    return { problems, notices };
  }

  // Stages no later stage builds on or copies from: the images this file can produce.
  const referenced = new Set<string>();
  for (const stage of stages) {
    const image = stage.from.getImage()?.toLowerCase();
    if (image !== undefined) referenced.add(image);
    for (const instruction of stage.instructions) {
      if (instruction.getKeyword() !== 'COPY') continue;
      const source = (instruction as Copy).getFromFlag()?.getValue();
      if (source !== undefined && source !== null) referenced.add(source.toLowerCase());
    }
  }

  /** The stages a FROM may name: an earlier stage, or a build ARG choosing among them. */
  const parentsOf = (stage: Stage): Stage[] | undefined => {
    const image = stage.from.getImage() ?? '';
    const earlier = stages.slice(0, stage.index);
    const byName = (name: string): Stage | undefined =>
      earlier.find((s) => s.name === name.toLowerCase());
    const variable = VARIABLE.exec(image);
    if (variable !== null) {
      const name = variable[1] ?? variable[2] ?? '';
      if (!globalArgs.has(name)) {
        report(
          lineOf(stage.from),
          `FROM ${image}: ${name} is not an ARG declared before the first FROM`,
        );
        return [];
      }
      const fallback = globalArgs.get(name);
      if (fallback !== undefined && fallback !== '') {
        const chosen = byName(fallback);
        if (chosen !== undefined) return [chosen];
        const reason = unpinnedImageReason(fallback);
        if (reason !== undefined) report(lineOf(stage.from), `base image ${reason}`);
        return undefined;
      }
      // No default: the build must pass one of the image stages (stages nothing builds on).
      const choices = earlier.filter((s) => s.name !== undefined && !referenced.has(s.name));
      if (choices.length === 0) {
        report(lineOf(stage.from), `FROM ${image}: ${name} has no default and no stage to name`);
      }
      return choices;
    }
    const parent = byName(image);
    if (parent !== undefined) return [parent];
    const reason = unpinnedImageReason(image);
    if (reason !== undefined) report(lineOf(stage.from), `base image ${reason}`);
    return undefined;
  };

  const parents = new Map<Stage, Stage[] | undefined>();
  for (const stage of stages) parents.set(stage, parentsOf(stage));

  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const content = instruction.getArgumentsContent() ?? '';
      if (keyword === 'ADD') {
        const sources = instruction
          .getArguments()
          .map((a) => a.getValue())
          .filter((v) => !v.startsWith('--'))
          .slice(0, -1);
        for (const source of sources) {
          if (/^(?:https?|ftp):\/\/|^git@|\.git(?:#.*)?$/.test(source)) {
            report(
              lineOf(instruction),
              `ADD ${source}: fetch remote files in a RUN with a checksum check, or COPY them`,
            );
          }
        }
      }
      if (keyword === 'RUN') {
        if (/\bnpm\s+(?:install|i|add)\b/.test(content)) {
          report(
            lineOf(instruction),
            'RUN npm install: use npm ci, so the lock file decides every version',
          );
        }
        if (
          /\bapt-get\s+(?:-\S+\s+)*install\b/.test(content) &&
          !content.includes('--no-install-recommends')
        ) {
          report(lineOf(instruction), 'apt-get install without --no-install-recommends');
        }
      }
    }
  }

  // The images: the last stage, or each stage it may name when it is FROM ${ARG}.
  const last = stages.at(-1) as Stage;
  const lastParents = parents.get(last);
  const isChooser = VARIABLE.test(last.from.getImage() ?? '') && (lastParents?.length ?? 0) > 1;
  const images: { label: string; chain: Stage[] }[] = [];
  const chainOf = (stage: Stage): Stage[] => {
    const chain: Stage[] = [];
    for (let s: Stage | undefined = stage; s !== undefined;) {
      chain.unshift(s);
      const up = parents.get(s);
      s = up?.length === 1 ? up[0] : undefined;
    }
    return chain;
  };
  if (isChooser) {
    for (const choice of lastParents ?? []) {
      images.push({
        label: `image stage "${choice.name ?? choice.index}"`,
        chain: [...chainOf(choice), last],
      });
    }
  } else {
    images.push({ label: 'final image', chain: chainOf(last) });
  }

  for (const { label, chain } of images) {
    const all = chain.flatMap((s) => s.instructions);
    const lastOf = (keyword: string): Instruction | undefined =>
      all.filter((i) => i.getKeyword() === keyword).at(-1);

    const user = lastOf('USER');
    const userValue = user?.getArgumentsContent()?.trim();
    if (user === undefined || userValue === undefined) {
      report(label, 'has no USER: it would run as root');
    } else if (!/^\d+(?::\d+)?$/.test(userValue)) {
      report(
        lineOf(user),
        `${label}: USER ${userValue} must be a numeric uid[:gid] (runAsNonRoot can only verify numbers)`,
      );
    } else if (Number(userValue.split(':')[0]) === 0) {
      report(lineOf(user), `${label}: USER ${userValue} is root`);
    }

    const healthcheck = lastOf('HEALTHCHECK') as Healthcheck | undefined;
    if (healthcheck === undefined) {
      report(label, 'has no HEALTHCHECK');
    } else if (healthcheck.getSubcommand()?.getValue().toUpperCase() === 'NONE') {
      report(lineOf(healthcheck), `${label}: HEALTHCHECK NONE disables the health check`);
    }

    const entrypoint = lastOf('ENTRYPOINT');
    const entryArgv = entrypoint === undefined ? undefined : jsonArgv(entrypoint);
    if (entrypoint === undefined) {
      report(label, 'has no ENTRYPOINT: tini must be PID 1 (ENTRYPOINT ["tini", "--"])');
    } else if (
      entryArgv === undefined ||
      !/(?:^|\/)tini$/.test(entryArgv[0] ?? '') ||
      !entryArgv.includes('--')
    ) {
      report(lineOf(entrypoint), `${label}: ENTRYPOINT must be the JSON form ["tini", "--"]`);
    }

    const workdir = lastOf('WORKDIR')?.getArgumentsContent()?.trim();
    if (workdir !== expectations.workdir) {
      report(label, `WORKDIR is ${workdir ?? 'unset'}, the contract says ${expectations.workdir}`);
    }

    const cmd = lastOf('CMD');
    if (cmd === undefined) {
      report(label, 'has no CMD');
      continue;
    }
    const cmdArgv = jsonArgv(cmd);
    if (cmdArgv === undefined) {
      report(lineOf(cmd), `${label}: CMD must be in JSON form, so signals reach node, not a shell`);
      continue;
    }
    if (isChooser) {
      const app = chain.at(-2)?.name ?? '';
      const expected = expectations.apps.get(app);
      if (expected === undefined) {
        notices.push(
          `${file}: ${label} names no app with a serve target and src/main.ts under apps/`,
        );
      } else if (expected.join(' ') !== cmdArgv.join(' ')) {
        report(
          lineOf(cmd),
          `${label}: CMD ${JSON.stringify(cmdArgv)} differs from apps/${app}/project.json serve: ${expected.join(' ')}`,
        );
      }
    }
  }

  if (!isChooser && expectations.apps.size > 0) {
    report(
      lineOf(last.from),
      'the last stage must be FROM ${SERVICE}, choosing among one stage per app (the images of apps/)',
    );
  }
  if (isChooser) {
    const names = new Set((lastParents ?? []).map((s) => s.name));
    for (const app of expectations.apps.keys()) {
      if (!names.has(app))
        report(undefined, `apps/${app} has a serve target but no image stage "${app}"`);
    }
  }
  return { problems, notices };
}
