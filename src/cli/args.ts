// Argument parsing for the `eks-connector` CLI. Pure: returns a typed command, or every problem with the command line
// at once (one line each), so a pipeline author fixes them in one round and nothing is read or changed before.
import { resolveRegion, suggestRegion } from '../core/aws/regions';
import { validatePrincipalArn, validateRoleArn, validateRoleName } from '../core/connector/arn';
import { validateNamespaceName } from '../core/connector/consoleAccess';
import { validateImageReference } from '../core/connector/images';
import { CLUSTER_NAME_MAX_LENGTH, CONNECTOR_PROVIDERS, validateClusterName, validateProvider, type ValidationResult } from '../core/connector/names';

export const EXIT = {
  ok: 0,
  /** Unexpected failure inside the CLI itself. */
  internal: 1,
  badInput: 2,
  preflight: 3,
  aws: 4,
  cluster: 5,
  cancelled: 130,
} as const;

export type CliCommand =
  | { kind: 'register'; context?: string; region: string; name: string; provider: string; roleArn?: string; createRole?: string; grants: string[]; kubeconfig?: string; profile?: string; wait: boolean; json: boolean; yes: boolean; keepOnFailure: boolean; noNodeSelector: boolean; images: { connector?: string; ssmAgent?: string }; namespaces?: string[] }
  | { kind: 'deregister'; context?: string; region: string; name: string; kubeconfig?: string; profile?: string; json: boolean; yes: boolean }
  | { kind: 'grant' | 'revoke'; context?: string; region: string; name: string; principals: string[]; kubeconfig?: string; profile?: string; json: boolean; yes: boolean; namespaces?: string[] }
  | { kind: 'status'; context?: string; region: string; name: string; kubeconfig?: string; profile?: string; json: boolean }
  | { kind: 'help'; text: string };

/** One thing wrong with the input. `message` is the whole line as printed: it names the option, the value and the fix. */
export interface InputProblem {
  readonly message: string;
  readonly option?: string;
  readonly value?: string;
  /** For a kubeconfig problem: the file, and the line of a YAML error. */
  readonly file?: string;
  readonly line?: number;
}

/** Input that cannot be used, with every problem found; nothing has been changed when it is raised. */
export class InputError extends Error {
  constructor(
    /** What was not done and why, e.g. `register was not run: 3 problems with the arguments.` */
    readonly summary: string,
    readonly problems: readonly InputProblem[],
    readonly fix?: string,
  ) {
    super(summary);
    this.name = 'InputError';
  }
}

export type ParseResult = { ok: true; command: CliCommand } | { ok: false; error: InputError };

export const COMMANDS = ['register', 'deregister', 'grant', 'revoke', 'status'] as const;
type CommandName = (typeof COMMANDS)[number];

export const USAGE = `Usage: eks-connector <command> [options]

Commands:
  register    Register the cluster of a kubeconfig context with Amazon EKS and install the EKS Connector in it
  deregister  Deregister a connected cluster and remove the connector from its context
  grant       Give IAM principals console access to a connected cluster
  revoke      Take console access away from IAM principals
  status      Show a connected cluster's registration and connector state

Options:
  --context <ctx>       kubeconfig context (default: the current context)
  --kubeconfig <file>   kubeconfig file(s), ':'-separated (default: KUBECONFIG, then ~/.kube/config)
  --region <region>     AWS region of the registration (required; a commercial region: China and GovCloud do not offer the connector)
  --name <name>         EKS name of the cluster (required): 1-100 letters, digits, - and _, starting with a letter or digit
  --provider <p>        register: EKS_ANYWHERE, ANTHOS, GKE, AKS, OPENSHIFT, TANZU, RANCHER, EC2 or OTHER
  --role-arn <arn>      register: the connector agent IAM role (must trust ssm.amazonaws.com)
  --create-role <name>  register: create the agent role with this name instead of --role-arn
  --grant <arn>         register/grant/revoke: IAM principal for console access (repeatable; default: the caller)
  --namespaces <a,b>    register/grant: console access only in these namespaces (default: read access cluster-wide)
  --profile <p>         AWS profile (credentials and endpoints follow the standard AWS config and environment)
  --no-wait             register: stop once the connector is applied, without waiting for ACTIVE
  --keep-on-failure     register: keep what was created when a later step fails (default: roll back)
  --no-node-selector    register: do not pin the connector to linux/amd64 nodes
  --connector-image <ref>  register: image for connector-init and connector-proxy (default: the pinned one)
  --ssm-agent-image <ref>  register: image for connector-agent (default: the pinned one)
  --yes                 answer confirmations (non-interactive use)
  --json                print the result as JSON (errors too: one JSON object on stdout)
  --help                print this text

A value may start with "-" (--name -x passes "-x"), or be given as --name=-x.
Every argument is checked before anything is read or changed; all problems are reported together.

Exit codes: 0 success, 2 bad input, 3 pre-flight failure, 4 AWS error, 5 cluster error, 130 cancelled.`;

interface OptionSpec {
  readonly value: boolean;
  readonly multiple?: boolean;
  /** The commands that take it; absent: every command. */
  readonly commands?: readonly CommandName[];
}

const OPTIONS: Record<string, OptionSpec> = {
  context: { value: true },
  kubeconfig: { value: true },
  region: { value: true },
  name: { value: true },
  profile: { value: true },
  json: { value: false },
  provider: { value: true, commands: ['register'] },
  'role-arn': { value: true, commands: ['register'] },
  'create-role': { value: true, commands: ['register'] },
  grant: { value: true, multiple: true, commands: ['register', 'grant', 'revoke'] },
  namespaces: { value: true, commands: ['register', 'grant'] },
  'no-wait': { value: false, commands: ['register'] },
  'keep-on-failure': { value: false, commands: ['register'] },
  'no-node-selector': { value: false, commands: ['register'] },
  'connector-image': { value: true, commands: ['register'] },
  'ssm-agent-image': { value: true, commands: ['register'] },
  yes: { value: false, commands: ['register', 'deregister', 'grant', 'revoke'] },
};

const PROVIDER_LIST = `${CONNECTOR_PROVIDERS.slice(0, -1).map((p) => p.value).join(', ')} or ${CONNECTOR_PROVIDERS[CONNECTOR_PROVIDERS.length - 1].value}`;
const NAME_RULE = `A cluster name has 1 to ${CLUSTER_NAME_MAX_LENGTH} letters, digits, "-" and "_", and starts with a letter or digit`;
const HELP_HINT = 'Correct the arguments listed and run the command again; `eks-connector help` describes every option.';

const optionsOf = (command: CommandName): string[] => Object.keys(OPTIONS).filter((o) => OPTIONS[o].commands?.includes(command) ?? true).map((o) => `--${o}`);
const isOptionWord = (arg: string): boolean => arg === '--help' || arg === '-h' || (arg.startsWith('--') && arg.slice(2).split('=')[0] in OPTIONS);
const quote = (value: string): string => JSON.stringify(value);
const withHint = (result: { message: string; hint?: string }): string => (result.hint ? `${result.message} ${result.hint}` : result.message);

type Values = Map<string, string[]>;

export function parseCli(argv: readonly string[]): ParseResult {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') return { ok: true, command: { kind: 'help', text: USAGE } };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    return failed(undefined, [{ message: `Unknown command ${quote(command)}: the commands are ${COMMANDS.join(', ')}.`, value: command }]);
  }
  const name = command as CommandName;
  const problems: InputProblem[] = [];
  const values = tokenize(name, rest, problems);
  if (values === 'help') return { ok: true, command: { kind: 'help', text: USAGE } };
  const one = (option: string): string | undefined => values.get(option)?.[0];
  const flag = (option: string): boolean => values.has(option);
  const check = <T>(option: string, value: string | undefined, validate: (v: string) => ValidationResult<T>, extra?: (r: { message: string; hint?: string }) => string): T | undefined => {
    if (value === undefined) return undefined;
    const result = validate(value);
    if (result.ok) return result.value;
    problems.push({ option: `--${option}`, value, message: `--${option} ${quote(value)}: ${extra ? extra(result) : withHint(result)}` });
    return undefined;
  };
  const require = (option: string, what: string): void => {
    if (!values.has(option) && !problems.some((p) => p.option === `--${option}`)) problems.push({ option: `--${option}`, message: `--${option} is missing: ${what}` });
  };

  require('region', 'give the AWS region of the registration, for example --region us-west-2.');
  const region = check('region', one('region'), validateConnectorRegion);
  require('name', `give the cluster's EKS name, for example --name my-cluster. ${NAME_RULE}.`);
  const clusterName = check('name', one('name'), validateClusterName, (r) => `${r.message} ${NAME_RULE}${r.hint ? `: ${lowerFirst(r.hint)}` : '.'}`);

  let provider: string | undefined;
  let roleArn: string | undefined;
  let createRole: string | undefined;
  let images: { connector?: string; ssmAgent?: string } = {};
  if (name === 'register') {
    require('provider', `give where the cluster runs: ${PROVIDER_LIST}.`);
    provider = check('provider', one('provider'), validateProvider);
    if (flag('role-arn') && flag('create-role')) {
      problems.push({ option: '--create-role', message: '--role-arn and --create-role are both given: give one, either the ARN of an existing agent role or the name of a role to create.' });
    } else if (!flag('role-arn') && !flag('create-role')) {
      problems.push({ option: '--role-arn', message: '--role-arn or --create-role is missing: give the ARN of a connector agent role that trusts ssm.amazonaws.com (--role-arn <arn>), or a name for a new one (--create-role <name>).' });
    }
    roleArn = check('role-arn', one('role-arn'), validateRoleArn);
    createRole = check('create-role', one('create-role'), validateRoleName);
    images = {
      connector: check('connector-image', one('connector-image'), validateImageReference),
      ssmAgent: check('ssm-agent-image', one('ssm-agent-image'), validateImageReference),
    };
  }
  if ((name === 'grant' || name === 'revoke') && !flag('grant')) {
    problems.push({ option: '--grant', message: `--grant is missing: ${name} needs at least one IAM principal ARN, for example --grant arn:aws:iam::111122223333:user/alice.` });
  }
  const grants = (values.get('grant') ?? []).map((arn) => check('grant', arn, validatePrincipalArn)).filter((a): a is string => a !== undefined);
  const namespaces = namespacesOf(one('namespaces'), problems);

  if (problems.length > 0) return failed(name, problems);
  const common = { context: one('context'), region: region!, name: clusterName!, kubeconfig: one('kubeconfig'), profile: one('profile'), json: flag('json') };
  switch (name) {
    case 'register':
      return { ok: true, command: { kind: 'register', ...common, provider: provider!, roleArn, createRole, grants, wait: !flag('no-wait'), yes: flag('yes'), keepOnFailure: flag('keep-on-failure'), noNodeSelector: flag('no-node-selector'), images, namespaces } };
    case 'deregister':
      return { ok: true, command: { kind: 'deregister', ...common, yes: flag('yes') } };
    case 'grant':
    case 'revoke':
      return { ok: true, command: { kind: name, ...common, principals: grants, yes: flag('yes'), ...(name === 'grant' ? { namespaces } : {}) } };
    default:
      return { ok: true, command: { kind: 'status', ...common } };
  }
}

/** Whether the command line asks for JSON, read without parsing (so that even an unknown command answers in JSON). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

function failed(command: CommandName | undefined, problems: InputProblem[]): ParseResult {
  const count = problems.length === 1 ? 'a problem' : `${problems.length} problems`;
  return { ok: false, error: new InputError(`${command ?? 'eks-connector'} was not run: ${count} with the arguments; nothing was read or changed.`, problems, HELP_HINT) };
}

/**
 * Splits `--option value`, `--option=value` and flags. An option that takes a value takes the next argument even when
 * it starts with "-" (a name or image may), unless that argument is itself one of the options.
 */
function tokenize(command: CommandName, args: readonly string[], problems: InputProblem[]): Values | 'help' {
  const values: Values = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--') {
      for (const extra of args.slice(i + 1)) problems.push({ value: extra, message: `Unexpected argument ${quote(extra)}: ${command} takes only options (${optionsOf(command).join(', ')}).` });
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      problems.push({ value: arg, message: `Unexpected argument ${quote(arg)}: ${command} takes only options, each as --option value (${optionsOf(command).join(', ')}).` });
      continue;
    }
    const equals = arg.indexOf('=');
    const key = (equals > 0 ? arg.slice(0, equals) : arg).replace(/^--?/, '');
    const spec = arg.startsWith('--') ? OPTIONS[key] : undefined;
    if (!spec) {
      problems.push({ option: arg.split('=')[0], message: `Unknown option ${arg.split('=')[0]}: ${command} takes ${optionsOf(command).join(', ')}.` });
      continue;
    }
    const option = `--${key}`;
    if (spec.commands && !spec.commands.includes(command)) {
      problems.push({ option, message: `${option} does not apply to ${command}: it is an option of ${spec.commands.join(', ')}. Remove it.` });
      if (spec.value && equals < 0 && i + 1 < args.length && !isOptionWord(args[i + 1])) i++;
      continue;
    }
    let value: string | undefined;
    if (!spec.value) {
      if (equals > 0) {
        problems.push({ option, value: arg.slice(equals + 1), message: `${option} takes no value, but ${quote(arg)} gives one: write ${option} alone.` });
        continue;
      }
      value = '';
    } else if (equals > 0) {
      value = arg.slice(equals + 1);
    } else if (i + 1 < args.length && !isOptionWord(args[i + 1])) {
      value = args[++i];
    } else {
      const next = args[i + 1];
      problems.push({ option, message: `${option} needs a value${next !== undefined ? `, but it is followed by the option ${next}` : ', but it is the last argument'}: write ${option} <value> (or ${option}=<value> for a value that starts with "--").` });
      continue;
    }
    if (spec.value && value.trim() === '') {
      problems.push({ option, value, message: `${option} is empty: give it a value.` });
      continue;
    }
    const previous = values.get(key);
    if (previous && !spec.multiple) {
      if (spec.value && !previous.includes(value)) problems.push({ option, value, message: `${option} is given twice (${quote(previous[0])} and ${quote(value)}): give it once.` });
      continue;
    }
    values.set(key, [...(previous ?? []), value]);
  }
  return values;
}

/**
 * A region where EKS is offered and the connector too (every commercial region; not China or GovCloud). A
 * well-formed name missing from the bundled list (a region launched after this release) is accepted; the CLI warns.
 */
function validateConnectorRegion(input: string): ValidationResult {
  const id = input.trim();
  const region = resolveRegion(id);
  if (!region) {
    const near = suggestRegion(id);
    return { ok: false, message: `This is not an AWS region where EKS is offered.`, hint: near ? `Did you mean ${near}?` : 'Give a region code such as us-west-2.' };
  }
  if (!region.connectorSupported) {
    return { ok: false, message: `The EKS Connector is not available in ${id} (${region.name}): China and GovCloud regions cannot register clusters.`, hint: 'Choose a commercial AWS region, such as us-west-2.' };
  }
  return { ok: true, value: id };
}

/** The warning for a region this release does not list, or undefined for a listed one. */
export function unlistedRegionWarning(id: string): string | undefined {
  if (!resolveRegion(id)?.unlisted) return undefined;
  const near = suggestRegion(id);
  return `warning: ${id} is not in this version's list of AWS regions${near ? ` (did you mean ${near}?)` : ''}; using it as given.`;
}

function namespacesOf(value: string | undefined, problems: InputProblem[]): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) {
    problems.push({ option: '--namespaces', value, message: `--namespaces ${quote(value)}: no namespace name in it: give at least one, e.g. --namespaces team-a,team-b.` });
    return undefined;
  }
  for (const namespace of names) {
    const valid = validateNamespaceName(namespace);
    if (!valid.ok) problems.push({ option: '--namespaces', value: namespace, message: `--namespaces: ${withHint(valid)}` });
  }
  return names;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
