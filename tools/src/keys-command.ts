import { parseArgs } from 'node:util';
import {
  generateApiKey,
  isTenantId,
  keyUnusable,
  rollApiKey,
  type ApiKeyRecord,
  type ApiKeyRole,
  type Repository,
} from '@invincible/astra-repo';

export const KEYS_USAGE = `npm run keys -- <command> [options]

  tenant create --id <tenant> --name <name> [--test] [--max-subscriptions N] [--max-loyalty N]
  tenant show --id <tenant>
  create --tenant <tenant> --role full|read_only|restricted [--permissions p,q] [--name <name>]
         [--expires-in <duration>]       a tenant's secret key (shown once)
  create --admin [--name <name>]          a platform admin key (tenants, keys, reconciliation)
  list --tenant <tenant> | --admin        keys and their status, never their secrets
  revoke --key <key_id>                   stops the key (within 30 s on every API replica)
  roll --key <key_id> [--overlap <duration>]
                                          a new secret; the old one works for the overlap (24h)

  Durations: 90s, 15m, 24h, 30d. Add --json for machine-readable output.
  Permissions: <customers|subscriptions|loyalty|emails|audit|tokens>:<read|write>.`;

/** A usage error: the command line is wrong, nothing was changed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const DURATION = /^(\d{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(text: string, what: string): number {
  const match = DURATION.exec(text);
  if (!match?.[1] || !match[2]) throw new UsageError(`${what}: a duration such as 24h or 30d`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

function count(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${what}: a whole number`);
  return Number(text);
}

function keyLine(k: ApiKeyRecord, now: Date): Record<string, unknown> {
  return {
    id: k.id,
    tenant: k.tenantId ?? '(admin)',
    name: k.name,
    role: k.role,
    permissions: k.permissions.join(',') || '-',
    status: keyUnusable(k, now) ?? 'active',
    created: k.createdAt.toISOString(),
    expires: k.expiresAt?.toISOString() ?? '-',
  };
}

/**
 * `npm run keys`: tenants and keys administered straight on the database (the bootstrap of the
 * first admin key, and scripts). Returns what to print; throws `UsageError` on a bad command line.
 */
export async function runKeysCommand(
  argv: readonly string[],
  repository: Pick<Repository, 'access'>,
  now: Date = new Date(),
): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      test: { type: 'boolean' },
      'max-subscriptions': { type: 'string' },
      'max-loyalty': { type: 'string' },
      tenant: { type: 'string' },
      admin: { type: 'boolean' },
      role: { type: 'string' },
      permissions: { type: 'string' },
      'expires-in': { type: 'string' },
      key: { type: 'string' },
      overlap: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const { access } = repository;
  const [command, sub] = positionals;
  const tenantArg = (value: string | undefined, flag: string) => {
    if (!value || !isTenantId(value))
      throw new UsageError(`${flag}: a tenant id (2 to 32 a-z, 0-9, "-")`);
    return value;
  };
  const keyArg = () => {
    if (!values.key || !/^key_[0-9a-f]{16}$/.test(values.key))
      throw new UsageError('--key: a key id such as key_0123456789abcdef');
    return values.key;
  };

  if (command === 'tenant' && sub === 'create') {
    const id = tenantArg(values.id, '--id');
    const { record, created } = await access.createTenant({
      id,
      name: values.name ?? id,
      test: values.test ?? false,
      maxActiveSubscriptions: count(values['max-subscriptions'], '--max-subscriptions', 10_000),
      maxLoyaltyPrograms: count(values['max-loyalty'], '--max-loyalty', 1_000_000),
      createdAt: now,
    });
    return { tenant: record, created };
  }
  if (command === 'tenant' && sub === 'show') {
    return { tenant: await access.getTenant(tenantArg(values.id, '--id')) };
  }
  if (command === 'create') {
    let tenantId: string | null = null;
    let role: ApiKeyRole = 'admin';
    if (!values.admin) {
      tenantId = tenantArg(values.tenant, '--tenant');
      await access.getTenant(tenantId);
      if (!['full', 'read_only', 'restricted'].includes(values.role ?? ''))
        throw new UsageError('--role: full, read_only or restricted (or --admin)');
      role = values.role as ApiKeyRole;
    }
    const permissions = values.permissions
      ? values.permissions.split(',').map((p) => p.trim())
      : [];
    if ((role === 'restricted') !== permissions.length > 0)
      throw new UsageError('--permissions: given with --role restricted, and only then');
    const { record, secret } = generateApiKey({
      tenantId,
      name: values.name ?? (tenantId ? 'key' : 'admin'),
      role,
      permissions,
      expiresAt: values['expires-in']
        ? new Date(now.getTime() + parseDuration(values['expires-in'], '--expires-in'))
        : null,
      now,
    });
    await access.createKey(record);
    return { key: keyLine(record, now), secret };
  }
  if (command === 'list') {
    const tenantId = values.admin ? null : tenantArg(values.tenant, '--tenant');
    return { keys: (await access.listKeys(tenantId)).map((k) => keyLine(k, now)) };
  }
  if (command === 'revoke') {
    return { key: keyLine(await access.revokeKey(keyArg(), now), now) };
  }
  if (command === 'roll') {
    const overlapMs = parseDuration(values.overlap ?? '24h', '--overlap');
    const rolled = await rollApiKey(access, keyArg(), overlapMs, now);
    return {
      key: keyLine(rolled.record, now),
      secret: rolled.secret,
      previous: keyLine(rolled.previous, now),
    };
  }
  throw new UsageError(command ? `unknown command: ${positionals.join(' ')}` : 'no command');
}
