// @ts-check
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { URL, fileURLToPath } from 'node:url';
import { startServer, validateProfileObject } from 'krypton-kmip';
import { KmipClient, KmipResultError } from 'krypton-kmip/client';
import { createDevPki } from 'krypton-kmip/pki';
import { QueryFunction, ResultReason, Tag } from 'krypton-kmip/spec';
import { child, children, textString } from 'krypton-kmip/ttlv';
import { VENDOR_HELLO_GREETING_TAG, VENDOR_HELLO_NAME_TAG, VENDOR_HELLO_OPERATION } from '../index.js';

const profileFile = fileURLToPath(new URL('../profile.json', import.meta.url));
const pluginFile = fileURLToPath(new URL('../index.js', import.meta.url));

/**
 * Boots the shipped profile. The profile names the plugin by its package name; in its own
 * checkout the package is not installed under node_modules, so the test loads it by path.
 * @param {string[]} [defaultPermissions]
 */
async function serve(defaultPermissions) {
  const stateDir = mkdtempSync(join(tmpdir(), 'vendor-hello-'));
  const pki = await createDevPki(join(stateDir, 'pki'));
  const raw = JSON.parse(readFileSync(profileFile, 'utf8'));
  raw.plugins = raw.plugins.map((/** @type {string} */ p) =>
    p === 'krypton-plugin-vendor-hello' ? pluginFile : p,
  );
  raw.stateDir = stateDir;
  raw.listeners = { ttlv: { port: 0 }, https: { enabled: false }, admin: { enabled: false } };
  raw.logging = { level: 'silent' };
  if (defaultPermissions) raw.auth.defaultPermissions = defaultPermissions;
  const server = await startServer(validateProfileObject(raw, profileFile, { env: {} }));
  const client = await KmipClient.connect({
    host: '127.0.0.1',
    port: server.addresses.ttlv?.port ?? 0,
    ca: readFileSync(pki.ca),
    cert: readFileSync(pki.client),
    key: readFileSync(pki.clientKey),
  });
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

test('vendor-hello-greets-the-caller-by-principal-and-tenant', async () => {
  const { client, close } = await serve();
  try {
    const out = await client.call(VENDOR_HELLO_OPERATION, [textString(VENDOR_HELLO_NAME_TAG, 'world')]);
    assert.equal(child(out, VENDOR_HELLO_GREETING_TAG)?.value, 'hello world, from client of tenant default');
  } finally {
    await close();
  }
});

test('query-lists-vendor-hello-and-its-extension-tags', async () => {
  const { client, close } = await serve();
  try {
    const q = await client.query([QueryFunction.QueryOperations, QueryFunction.QueryExtensionMap]);
    assert.ok(children(q, Tag.Operation).some((o) => o.value === VENDOR_HELLO_OPERATION));
    const names = children(q, Tag.ExtensionInformation).map((e) => child(e, Tag.ExtensionName)?.value);
    assert.deepEqual(names.sort(), ['VendorHelloGreeting', 'VendorHelloName']);
  } finally {
    await close();
  }
});

test('vendor-hello-without-a-name-is-refused-as-invalid', async () => {
  const { client, close } = await serve();
  try {
    await assert.rejects(client.call(VENDOR_HELLO_OPERATION, []), (err) => {
      assert.ok(err instanceof KmipResultError);
      assert.notEqual(err.resultReason, undefined);
      assert.notEqual(err.resultReason, ResultReason.OperationNotSupported);
      return true;
    });
  } finally {
    await close();
  }
});

test('vendor-hello-needs-its-permission', async () => {
  const { client, close } = await serve(['discover', 'query']);
  try {
    await assert.rejects(
      client.call(VENDOR_HELLO_OPERATION, [textString(VENDOR_HELLO_NAME_TAG, 'world')]),
      (err) => err instanceof KmipResultError && err.resultReason === ResultReason.PermissionDenied,
    );
  } finally {
    await close();
  }
});
