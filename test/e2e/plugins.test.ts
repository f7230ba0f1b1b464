import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { pino } from 'pino';
import { KmipOperationError } from '../../core/client/client.js';
import { hashPassword } from '../../core/auth/credentials.js';
import { loadProfile } from '../../core/config/load.js';
import { startServer } from '../../core/server/server.js';
import {
  CredentialType,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  Tag,
} from '../../core/spec/index.js';
import { child, children, enumeration, structure, textString } from '../../core/ttlv/tree.js';
import { repoRoot } from '../support/shared.js';
import { clientFor, startTestServer, testPki } from './support.js';
import { PLACEHOLDER_GET, PLACEHOLDER_SET } from './fixtures/placeholder-plugin.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const fixture = here('./fixtures/placeholder-plugin.js');
const builtins = ['builtin:discover-versions', 'builtin:query'];

test('id-placeholder-is-scoped-to-one-request-and-never-crosses-connections', async () => {
  const server = await startTestServer({ plugins: [...builtins, fixture] });
  const a = await clientFor(server);
  const b = await clientFor(server);
  try {
    const within = await a.batch([{ operation: PLACEHOLDER_SET }, { operation: PLACEHOLDER_GET }]);
    assert.equal(within.batchItems[1]?.resultStatus, ResultStatus.Success);
    assert.equal(
      child(within.batchItems[1]?.payload, Tag.UniqueIdentifier)?.value,
      child(within.batchItems[0]?.payload, Tag.UniqueIdentifier)?.value,
    );
    // A's placeholder is gone after its request, and B never sees it.
    await a.call(PLACEHOLDER_SET);
    for (const c of [b, a]) {
      await assert.rejects(
        c.call(PLACEHOLDER_GET),
        (err: unknown) => err instanceof KmipOperationError && err.resultReason === ResultReason.MissingData,
      );
    }
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
});

test('profile-loads-only-plugins-of-enabled-phases-and-its-role', async () => {
  const server = await startTestServer({ role: 'core', phases: [1, 2], plugins: [...builtins, fixture] });
  try {
    const names = server.registry.descriptors().map((d) => d.name);
    assert.ok(names.includes('TestPlaceholderSet'));
    assert.ok(!names.includes('TestLaterPhase'), 'phase 3 is not enabled');
    assert.ok(!names.includes('TestGatewayOnly'), 'gateway-only operation in a core profile');
    const client = await clientFor(server);
    const ops = children(await client.query([QueryFunction.QueryOperations]), Tag.Operation).map(
      (o) => o.value,
    );
    assert.deepEqual(
      [...ops].sort(),
      [Operation.Query, Operation.DiscoverVersions, PLACEHOLDER_SET, PLACEHOLDER_GET].sort(),
    );
    await client.close();
  } finally {
    await server.close();
  }
});

test('missing-plugin-dependency-fails-at-boot', async () => {
  await assert.rejects(
    startTestServer({ plugins: [...builtins, here('./fixtures/needs-store-plugin.js')] }),
    /krypton-store/,
  );
});

test('unloadable-plugin-fails-at-boot-naming-the-module', async () => {
  await assert.rejects(
    startTestServer({ plugins: [...builtins, 'krypton-no-such-plugin'] }),
    /krypton-no-such-plugin/,
  );
});

test('example-third-party-plugin-loads-from-a-profile-and-serves-its-extension-operation', async () => {
  const { stateDir } = await testPki();
  const pluginPath = here('../../examples/vendor-echo/vendor-echo.js');
  const dir = mkdtempSync(join(tmpdir(), 'krypton-profile-'));
  const profileFile = join(dir, 'vendor.json');
  writeFileSync(
    profileFile,
    JSON.stringify({
      name: 'vendor',
      role: 'standalone',
      plugins: [...builtins, pluginPath],
      stateDir,
      listeners: { ttlv: { port: 0 }, https: { enabled: false }, admin: { enabled: false } },
      auth: { defaultPermissions: ['*'] },
    }),
  );
  const server = await startServer(loadProfile(profileFile, { env: {} }), { log: pino({ level: 'silent' }) });
  const client = await clientFor(server);
  try {
    const { VENDOR_ECHO_OPERATION, VENDOR_ECHO_TEXT_TAG } =
      await import('../../examples/vendor-echo/vendor-echo.js');
    const out = await client.call(VENDOR_ECHO_OPERATION, [textString(VENDOR_ECHO_TEXT_TAG, 'krypton')]);
    assert.equal(child(out, VENDOR_ECHO_TEXT_TAG)?.value, 'notpyrk');
    const q = await client.query([QueryFunction.QueryOperations, QueryFunction.QueryExtensionMap]);
    assert.ok(children(q, Tag.Operation).some((o) => o.value === VENDOR_ECHO_OPERATION));
    const ext = children(q, Tag.ExtensionInformation)[0];
    assert.equal(child(ext, Tag.ExtensionName)?.value, 'VendorEchoText');
    assert.equal(child(ext, Tag.ExtensionTag)?.value, VENDOR_ECHO_TEXT_TAG);
  } finally {
    await client.close();
    await server.close();
  }
});

test('shipped-example-profile-names-the-example-plugin', () => {
  const cfg = loadProfile(join(repoRoot, 'examples', 'vendor-echo', 'profile.json'), { env: {} });
  assert.match(cfg.plugins[2]?.module ?? '', /examples[/\\]vendor-echo[/\\]vendor-echo\.js$/);
});

test('principal-without-the-permission-is-permission-denied', async () => {
  const server = await startTestServer({ auth: { defaultPermissions: ['discover'] } });
  const client = await clientFor(server);
  try {
    assert.ok((await client.discoverVersions()).length > 0);
    await assert.rejects(
      client.query(),
      (err: unknown) =>
        err instanceof KmipOperationError && err.resultReason === ResultReason.PermissionDenied,
    );
  } finally {
    await client.close();
    await server.close();
  }
});

test('required-credential-is-checked-by-the-verifier-before-any-handler', async () => {
  const server = await startTestServer({
    auth: {
      defaultPermissions: ['*'],
      credentials: {
        verifier: 'static',
        required: true,
        users: { svc: { password: await hashPassword('pw-1') } },
      },
    },
  });
  const client = await clientFor(server);
  const auth = (password: string) =>
    structure(Tag.Authentication, [
      structure(Tag.Credential, [
        enumeration(Tag.CredentialType, CredentialType.UsernameAndPassword),
        structure(Tag.CredentialValue, [textString(Tag.Username, 'svc'), textString(Tag.Password, password)]),
      ]),
    ]);
  try {
    for (const options of [{}, { authentication: auth('wrong') }]) {
      await assert.rejects(
        client.query(undefined, options),
        (err: unknown) =>
          err instanceof KmipOperationError && err.resultReason === ResultReason.AuthenticationNotSuccessful,
      );
    }
    assert.ok(await client.query(undefined, { authentication: auth('pw-1') }));
  } finally {
    await client.close();
    await server.close();
  }
});
