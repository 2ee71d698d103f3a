import { keyIdOfSecret, secretMatches } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { parseDuration, runKeysCommand, UsageError } from './keys-command';

describe('npm run keys', () => {
  const now = new Date('2026-12-01T00:00:00Z');

  it('bootstraps a tenant, its keys and an admin key; lists, rolls and revokes them', async () => {
    const repo = createInMemoryRepository();
    const run = (...argv: string[]) => runKeysCommand(argv, repo, now);
    await expect(
      run('tenant', 'create', '--id', 'acme', '--name', 'Acme', '--test'),
    ).resolves.toMatchObject({
      tenant: { id: 'acme', name: 'Acme', test: true, maxActiveSubscriptions: 10_000 },
      created: true,
    });
    const full = (await run(
      'create',
      '--tenant',
      'acme',
      '--role',
      'full',
      '--name',
      'backend',
    )) as {
      key: { id: string };
      secret: string;
    };
    expect(keyIdOfSecret(full.secret)).toBe(full.key.id);
    const stored = await repo.access.getKey(full.key.id);
    expect(secretMatches(stored, full.secret)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(full.secret);

    const restricted = (await run(
      'create',
      '--tenant',
      'acme',
      '--role',
      'restricted',
      '--permissions',
      'loyalty:read,customers:read',
    )) as { key: { permissions: string } };
    expect(restricted.key.permissions).toBe('loyalty:read,customers:read');
    await run('create', '--admin', '--name', 'ops');
    expect(((await run('list', '--admin')) as { keys: unknown[] }).keys).toHaveLength(1);

    const rolled = (await run('roll', '--key', full.key.id, '--overlap', '2h')) as {
      previous: { expires: string };
      secret: string;
    };
    expect(rolled.previous.expires).toBe('2026-12-01T02:00:00.000Z');
    expect(rolled.secret).not.toBe(full.secret);
    await run('revoke', '--key', full.key.id);
    const listed = (await run('list', '--tenant', 'acme')) as {
      keys: { id: string; status: string }[];
    };
    // Made at the same instant, the keys list in id order: look each up by its id.
    const status = Object.fromEntries(listed.keys.map((k) => [k.id, k.status]));
    expect(status[full.key.id]).toBe('revoked');
    expect(Object.values(status).sort()).toEqual(['active', 'active', 'revoked']);
  });

  it('refuses a bad command line with a usage error and changes nothing', async () => {
    const repo = createInMemoryRepository();
    const run = (...argv: string[]) => runKeysCommand(argv, repo, now);
    await run('tenant', 'create', '--id', 'acme');
    for (const argv of [
      ['create', '--tenant', 'acme', '--role', 'owner'],
      ['create', '--tenant', 'Not A Tenant', '--role', 'full'],
      ['create', '--tenant', 'acme', '--role', 'full', '--permissions', 'loyalty:read'],
      ['create', '--tenant', 'acme', '--role', 'restricted'],
      ['revoke', '--key', 'sk_live_nope'],
      ['roll', '--key', 'key_0123456789abcdef', '--overlap', 'forever'],
      ['launch', 'missiles'],
    ])
      await expect(run(...argv)).rejects.toBeInstanceOf(UsageError);
    await expect(run('create', '--tenant', 'acme', '--role', 'full', '--bogus')).rejects.toThrow(
      /Unknown option/,
    );
    expect(await repo.access.listKeys('acme')).toEqual([]);
    // A tenant that does not exist gets no key.
    await expect(run('create', '--tenant', 'nobody', '--role', 'full')).rejects.toThrow(
      /not found/,
    );
  });

  it('reads durations', () => {
    expect(parseDuration('90s', 'x')).toBe(90_000);
    expect(parseDuration('30d', 'x')).toBe(30 * 86_400_000);
    expect(() => parseDuration('1w', 'x')).toThrow(UsageError);
  });
});
