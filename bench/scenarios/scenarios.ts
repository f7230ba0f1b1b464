/**
 * The benchmark's scenarios, as data: a name, the server that answers (Krypton, the echo
 * baseline or PyKMIP), the transport, the connection count, and an operation builder that runs
 * once (setup requests, e.g. creating the key to encrypt under) and returns the measured
 * iteration. Adding a scenario when an operation lands is one entry here.
 */
import { randomBytes } from 'node:crypto';
import { encodeResponseMessage } from '../../core/messages/index.js';
import { Operation, ResultStatus, Tag } from '../../core/spec/index.js';
import type { KmipVersion } from '../../core/spec/index.js';
import { byteString, child, structure, textString } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import type { KmipChannel } from '../load/channels.js';
import type { Iteration } from '../load/generator.js';
import {
  cbcParameters,
  cipherRequest,
  createAes256Request,
  discoverVersionsRequest,
  expectSuccess,
  locateByNameRequest,
  decryptRequestFor,
  locatedIdentifiers,
  nameAttribute,
  nameAttribute1x,
  queryRequest,
  uidRequest,
  uniqueIdentifierOf,
} from './requests.js';

/**
 * `krypton`: the standalone profile (SQLite); `krypton-core-*`: the core profile on that store
 * (bench/baselines/core-server.ts).
 */
export type ServerKind = 'krypton' | 'krypton-core-sqlite' | 'krypton-core-postgres' | 'echo' | 'pykmip';

export interface SetupContext {
  /** A channel to the scenario's server for unmeasured setup requests. */
  readonly channel: KmipChannel;
  readonly server: ServerKind;
}

/** Runs once before the warm-up; returns the measured iteration. Throws ScenarioSkip to skip. */
export type OperationBuilder = (setup: SetupContext) => Promise<Iteration>;

/** What the echo server answers with, given a channel to Krypton to capture a real response. */
export type EchoReply = (krypton: () => Promise<KmipChannel>) => Promise<TtlvItem>;

export interface LoadScenario {
  readonly kind: 'load';
  /** Unique, stable: results and targets refer to it. */
  readonly name: string;
  readonly group: 'transport' | 'gateway' | 'core' | 'mixed' | 'pykmip';
  readonly title: string;
  readonly server: ServerKind;
  readonly transport: 'ttlv' | 'https';
  readonly connections: number;
  /** Requests in flight per connection; default the --pipeline flag (PyKMIP: always 1). */
  readonly pipeline?: number;
  readonly echoReply?: EchoReply;
  readonly operation: OperationBuilder;
}

export interface IdleScenario {
  readonly kind: 'idle-connections';
  readonly name: string;
  readonly group: 'memory';
  readonly title: string;
  readonly server: 'krypton';
  readonly connections: number;
}

export type Scenario = LoadScenario | IdleScenario;

/** The same request every time; the response must be Success. */
function fixedRequest(request: TtlvItem, what: string): OperationBuilder {
  return async ({ channel }) => {
    expectSuccess(await channel.send(request), what); // setup probe: skips cleanly if unsupported
    return async (ch) => {
      expectSuccess(await ch.send(request), what);
    };
  };
}

/** Create, Get and Destroy of an AES-256 key, one after the other: one iteration. */
function createGetDestroy(version: KmipVersion): OperationBuilder {
  const create = createAes256Request(version);
  return async ({ channel }) => {
    const probe = uniqueIdentifierOf(expectSuccess(await channel.send(create), 'Create'), 'Create');
    expectSuccess(await channel.send(uidRequest(version, Operation.Get, probe)), 'Get');
    expectSuccess(await channel.send(uidRequest(version, Operation.Destroy, probe)), 'Destroy');
    return async (ch) => {
      const uid = uniqueIdentifierOf(expectSuccess(await ch.send(create), 'Create'), 'Create');
      expectSuccess(await ch.send(uidRequest(version, Operation.Get, uid)), 'Get');
      expectSuccess(await ch.send(uidRequest(version, Operation.Destroy, uid)), 'Destroy');
    };
  };
}

/** Encrypt (wrap) a 32-byte DEK under a key created in setup; Decrypt its own result. */
function dekCipher(version: KmipVersion, operation: 'Encrypt' | 'Decrypt'): OperationBuilder {
  return async ({ channel }) => {
    const uid = uniqueIdentifierOf(
      expectSuccess(await channel.send(createAes256Request(version)), 'Create'),
      'Create',
    );
    const dek = randomBytes(32);
    const encrypt = cipherRequest(version, Operation.Encrypt, uid, dek);
    const wrapped = expectSuccess(await channel.send(encrypt), 'Encrypt');
    if (operation === 'Encrypt') return fixedRequest(encrypt, 'Encrypt')({ channel, server: 'krypton' });
    const data = wrapped?.value.find((i) => i.tag === Tag.Data);
    if (data?.type !== 'ByteString') throw new Error('Encrypt: no Data in the response');
    return fixedRequest(
      cipherRequest(version, Operation.Decrypt, uid, data.value),
      'Decrypt',
    )({ channel, server: 'krypton' });
  };
}

/**
 * Create, GetAttributes and Destroy of an L3 at the core (2.1): the core's Create+Get+Destroy
 * (it returns an L3 only wrapped, and only to gateways).
 */
function createGetAttributesDestroy(): OperationBuilder {
  const create = createAes256Request('2.1');
  const trio = async (ch: KmipChannel) => {
    const uid = uniqueIdentifierOf(expectSuccess(await ch.send(create), 'Create'), 'Create');
    expectSuccess(await ch.send(uidRequest('2.1', Operation.GetAttributes, uid)), 'GetAttributes');
    expectSuccess(await ch.send(uidRequest('2.1', Operation.Destroy, uid)), 'Destroy');
  };
  return async ({ channel }) => {
    await trio(channel);
    return trio;
  };
}

/** Creates an AES-256 L3 at the core (2.1) and activates it; returns its identifier. */
async function activeL3(channel: KmipChannel, name?: string): Promise<string> {
  const create = createAes256Request('2.1', name === undefined ? [] : [nameAttribute(name)]);
  const uid = uniqueIdentifierOf(expectSuccess(await channel.send(create), 'Create'), 'Create');
  expectSuccess(await channel.send(uidRequest('2.1', Operation.Activate, uid)), 'Activate');
  return uid;
}

/** Objects the Locate scenarios look among, each with a name of its own. */
const LOCATE_NAMES = 200;

/** Locate by Name among LOCATE_NAMES named keys (and whatever else the store holds): one match. */
function locateByName(): OperationBuilder {
  return async ({ channel }) => {
    const prefix = `bench-locate-${randomBytes(4).toString('hex')}-`;
    for (let i = 0; i < LOCATE_NAMES; i++) {
      const create = createAes256Request('2.1', [nameAttribute(prefix + i)]);
      expectSuccess(await channel.send(create), 'Create');
    }
    const requests = Array.from({ length: LOCATE_NAMES }, (_, i) => locateByNameRequest(prefix + i));
    return async (ch, seq) => {
      const found = locatedIdentifiers(
        expectSuccess(await ch.send(requests[seq % LOCATE_NAMES] as TtlvItem), 'Locate'),
      );
      if (found.length !== 1) throw new Error(`Locate: ${found.length} objects for one name`);
    };
  };
}

/**
 * Rekey of a key of the connection's own, then of its replacement, and so on: a chain per
 * connection (a concurrent Rekey of one key is refused — exactly one wins).
 */
function rekeyChain(): OperationBuilder {
  return async ({ channel }) => {
    const probe = await activeL3(channel);
    expectSuccess(await channel.send(uidRequest('2.1', Operation.ReKey, probe)), 'ReKey');
    const current = new Map<KmipChannel, string>();
    return async (ch) => {
      const uid = current.get(ch) ?? (await activeL3(ch));
      const replacement = uniqueIdentifierOf(
        expectSuccess(await ch.send(uidRequest('2.1', Operation.ReKey, uid)), 'ReKey'),
        'ReKey',
      );
      current.set(ch, replacement);
    };
  };
}

/**
 * The core's share of the DESIGN flow, one request per iteration in a fixed cycle of 20: wrap
 * (Encrypt) ×6 and unwrap (Decrypt) ×4 of a DEK under a shared named L3, Locate of it by Name ×3,
 * GetAttributes ×4, Create of an L3 ×2, Rekey of a connection's own L3 ×1. (A core returns an
 * L3 only wrapped, and only to gateways: no Get here.)
 */
function mixedCore(): OperationBuilder {
  return async ({ channel }) => {
    const name = `bench-service-kek-${randomBytes(4).toString('hex')}`;
    const kek = await activeL3(channel, name);
    const encrypt = cipherRequest('2.1', Operation.Encrypt, kek, randomBytes(32));
    const decrypt = decryptRequestFor(kek, expectSuccess(await channel.send(encrypt), 'Encrypt'));
    const locate = locateByNameRequest(name);
    const getAttributes = uidRequest('2.1', Operation.GetAttributes, kek);
    const create = createAes256Request('2.1');
    const own = new Map<KmipChannel, string>();
    const cycle: ((ch: KmipChannel) => Promise<unknown>)[] = [
      ...Array<(ch: KmipChannel) => Promise<unknown>>(6).fill(async (ch) =>
        expectSuccess(await ch.send(encrypt), 'Encrypt'),
      ),
      ...Array<(ch: KmipChannel) => Promise<unknown>>(4).fill(async (ch) =>
        expectSuccess(await ch.send(decrypt), 'Decrypt'),
      ),
      ...Array<(ch: KmipChannel) => Promise<unknown>>(3).fill(async (ch) =>
        expectSuccess(await ch.send(locate), 'Locate'),
      ),
      ...Array<(ch: KmipChannel) => Promise<unknown>>(4).fill(async (ch) =>
        expectSuccess(await ch.send(getAttributes), 'GetAttributes'),
      ),
      ...Array<(ch: KmipChannel) => Promise<unknown>>(2).fill(async (ch) =>
        expectSuccess(await ch.send(create), 'Create'),
      ),
      async (ch) => {
        const uid = own.get(ch) ?? (await activeL3(ch));
        own.set(
          ch,
          uniqueIdentifierOf(
            expectSuccess(await ch.send(uidRequest('2.1', Operation.ReKey, uid)), 'ReKey'),
            'ReKey',
          ),
        );
      },
    ];
    for (const step of cycle) await step(channel); // every kind answers before the run starts
    return async (ch, seq) => {
      await (cycle[seq % cycle.length] as (ch: KmipChannel) => Promise<unknown>)(ch);
    };
  };
}

/** An Active AES-256 key, any version (a 1.x name goes in the Template-Attribute). */
async function activeKey(channel: KmipChannel, version: KmipVersion, name?: string): Promise<string> {
  const extra =
    name === undefined ? [] : [version.startsWith('2.') ? nameAttribute(name) : nameAttribute1x(name)];
  const uid = uniqueIdentifierOf(
    expectSuccess(await channel.send(createAes256Request(version, extra)), 'Create'),
    'Create',
  );
  expectSuccess(await channel.send(uidRequest(version, Operation.Activate, uid)), 'Activate');
  return uid;
}

/** Keys the PyKMIP comparison's Locate looks among (PyKMIP creates about a hundred a second). */
const COMPARE_LOCATE_NAMES = 50;

/** The operations both Krypton and PyKMIP serve, in KMIP 1.4, for the side-by-side scenarios. */
const COMPARED: Readonly<Record<string, { title: string; operation: () => OperationBuilder }>> = {
  locate: {
    title: `Locate by Name among ${COMPARE_LOCATE_NAMES} named keys`,
    operation:
      () =>
      async ({ channel }) => {
        const prefix = `bench-compare-${randomBytes(4).toString('hex')}-`;
        for (let i = 0; i < COMPARE_LOCATE_NAMES; i++) await activeKey(channel, '1.4', prefix + i);
        const requests = Array.from({ length: COMPARE_LOCATE_NAMES }, (_, i) =>
          locateByNameRequest(prefix + i, 16, '1.4'),
        );
        return async (ch, seq) => {
          const found = locatedIdentifiers(
            expectSuccess(await ch.send(requests[seq % COMPARE_LOCATE_NAMES] as TtlvItem), 'Locate'),
          );
          if (found.length !== 1) throw new Error(`Locate: ${found.length} objects for one name`);
        };
      },
  },
  'get-attributes': {
    title: 'GetAttributes (all) of an AES-256 key',
    operation: () => onActiveKey('GetAttributes', (uid) => uidRequest('1.4', Operation.GetAttributes, uid)),
  },
  encrypt: {
    title: 'Encrypt of 32 bytes, AES-256-CBC with PKCS#5 padding',
    operation: () => onActiveKey('Encrypt', (uid) => cbcRequest(Operation.Encrypt, uid, randomBytes(32))),
  },
  decrypt: {
    title: 'Decrypt of 48 bytes, AES-256-CBC with PKCS#5 padding',
    operation: () =>
      onActiveKey('Decrypt', async (uid, channel) => {
        const encrypted = expectSuccess(
          await channel.send(cbcRequest(Operation.Encrypt, uid, randomBytes(32))),
          'Encrypt',
        );
        const data = child(encrypted, Tag.Data);
        const iv = child(encrypted, Tag.IVCounterNonce);
        if (data?.type !== 'ByteString' || iv?.type !== 'ByteString')
          throw new Error('Encrypt: no Data or IV/Counter/Nonce in the response');
        return cbcRequest(Operation.Decrypt, uid, data.value, [iv]);
      }),
  },
};

/** A 1.4 AES-256-CBC Encrypt or Decrypt request. */
function cbcRequest(operation: number, uid: string, data: Uint8Array, extra: TtlvItem[] = []): TtlvItem {
  return cipherRequest('1.4', operation, uid, data, [cbcParameters(), ...extra]);
}

/** The same request, built once in setup around an Active AES-256 key (1.4), every iteration. */
function onActiveKey(
  what: string,
  request: (uid: string, channel: KmipChannel) => TtlvItem | Promise<TtlvItem>,
): OperationBuilder {
  return async ({ channel }) => {
    const built = await request(await activeKey(channel, '1.4'), channel);
    return fixedRequest(built, what)({ channel, server: 'krypton' });
  };
}

/** Each compared operation against PyKMIP and against Krypton, 1.4, no pipelining. */
function compared(): LoadScenario[] {
  const sides = [
    { server: 'pykmip' as const, name: (op: string) => `pykmip/${op}`, who: 'PyKMIP' },
    { server: 'krypton' as const, name: (op: string) => `krypton-ttlv/${op}-1.4`, who: 'Krypton' },
  ];
  return Object.entries(COMPARED).flatMap(([op, { title, operation }]) =>
    sides.flatMap((side) =>
      at(BOTH, (c) => ({
        name: side.name(op),
        group: 'pykmip' as const,
        title: `${side.who} ${title} (1.4), ${c} conn`,
        server: side.server,
        transport: 'ttlv' as const,
        pipeline: 1,
        operation: operation(),
      })),
    ),
  );
}

/** The core scenarios, once per store. */
function coreScenarios(store: 'sqlite' | 'postgres'): LoadScenario[] {
  const server = store === 'sqlite' ? ('krypton-core-sqlite' as const) : ('krypton-core-postgres' as const);
  const on = store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  return [
    ...at(BOTH, (c) => ({
      name: `core-ttlv/create-l3-${store}`,
      group: 'core' as const,
      title: `Core Create of an AES-256 L3 on ${on}, TTLV/mTLS, ${c} conn`,
      server,
      transport: 'ttlv' as const,
      operation: fixedRequest(createAes256Request('2.1'), 'Create'),
    })),
    ...at(BOTH, (c) => ({
      name: `core-https/create-l3-${store}`,
      group: 'core' as const,
      title: `Core Create of an AES-256 L3 on ${on}, HTTPS POST /kmip, ${c} conn`,
      server,
      transport: 'https' as const,
      operation: fixedRequest(createAes256Request('2.1'), 'Create'),
    })),
    ...at(BOTH, (c) => ({
      name: `core-ttlv/create-getattributes-destroy-${store}`,
      group: 'core' as const,
      title: `Core Create+GetAttributes+Destroy of an L3 on ${on} (2.1), ${c} conn`,
      server,
      transport: 'ttlv' as const,
      operation: createGetAttributesDestroy(),
    })),
    ...at(BOTH, (c) => ({
      name: `core-ttlv/locate-${store}`,
      group: 'core' as const,
      title: `Core Locate by Name on ${on}, ${c} conn`,
      server,
      transport: 'ttlv' as const,
      operation: locateByName(),
    })),
    ...at(BOTH, (c) => ({
      name: `core-ttlv/rekey-${store}`,
      group: 'core' as const,
      title: `Core Rekey of an L3 on ${on}, ${c} conn`,
      server,
      transport: 'ttlv' as const,
      operation: rekeyChain(),
    })),
    ...at(BOTH, (c) => ({
      name: `core-ttlv/mixed-${store}`,
      group: 'mixed' as const,
      title: `Core mixed workload on ${on} (wrap, unwrap, Locate, Get, Create, Rekey), ${c} conn`,
      server,
      transport: 'ttlv' as const,
      operation: mixedCore(),
    })),
  ];
}

/** The size of Krypton's answer to Encrypt of a 32-byte DEK: Unique Identifier + 40 bytes. */
const echoEncryptReply: EchoReply = () =>
  Promise.resolve(
    encodeResponseMessage({
      header: {
        protocolVersion: { major: 2, minor: 1 },
        timeStamp: BigInt(Math.floor(Date.now() / 1000)),
        batchCount: 1,
      },
      batchItems: [
        {
          operation: Operation.Encrypt,
          resultStatus: ResultStatus.Success,
          payload: structure(Tag.ResponsePayload, [
            textString(Tag.UniqueIdentifier, '00000000-0000-4000-8000-000000000000'),
            byteString(Tag.Data, new Uint8Array(40)),
          ]),
        },
      ],
    }),
  );

/** Krypton's own Query response, captured once, so the echo reply has its exact size. */
const echoQueryReply: EchoReply = async (krypton) => {
  const channel = await krypton();
  try {
    return await channel.send(queryRequest('2.1'));
  } finally {
    await channel.close();
  }
};

const ECHO_ENCRYPT_REQUEST = cipherRequest(
  '2.1',
  Operation.Encrypt,
  '00000000-0000-4000-8000-000000000000',
  new Uint8Array(32),
);

function at(
  connections: readonly number[],
  make: (c: number) => Omit<LoadScenario, 'kind' | 'connections' | 'name'> & { name: string },
): LoadScenario[] {
  return connections.map((c) => ({
    kind: 'load' as const,
    ...make(c),
    name: `${make(c).name}/c${c}`,
    connections: c,
  }));
}

const BOTH = [1, 16] as const;

export const SCENARIOS: readonly Scenario[] = Object.freeze([
  // Transport: the echo upper bound beside the cheapest Krypton operations.
  ...at(BOTH, (c) => ({
    name: 'echo/query-size',
    group: 'transport',
    title: `echo server, Query-sized frames, ${c} conn`,
    server: 'echo',
    transport: 'ttlv',
    echoReply: echoQueryReply,
    operation: fixedRequest(queryRequest('2.1'), 'Query (echo)'),
  })),
  ...at(BOTH, (c) => ({
    name: 'echo/encrypt-size',
    group: 'transport',
    title: `echo server, Encrypt-sized frames, ${c} conn`,
    server: 'echo',
    transport: 'ttlv',
    echoReply: echoEncryptReply,
    operation: fixedRequest(ECHO_ENCRYPT_REQUEST, 'Encrypt (echo)'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-ttlv/discover-versions',
    group: 'transport',
    title: `Krypton DiscoverVersions, TTLV/mTLS, ${c} conn`,
    server: 'krypton',
    transport: 'ttlv',
    operation: fixedRequest(discoverVersionsRequest('2.1'), 'DiscoverVersions'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-ttlv/query',
    group: 'transport',
    title: `Krypton Query, TTLV/mTLS, ${c} conn`,
    server: 'krypton',
    transport: 'ttlv',
    operation: fixedRequest(queryRequest('2.1'), 'Query'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-https/discover-versions',
    group: 'transport',
    title: `Krypton DiscoverVersions, HTTPS POST /kmip, ${c} conn`,
    server: 'krypton',
    transport: 'https',
    operation: fixedRequest(discoverVersionsRequest('2.1'), 'DiscoverVersions'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-https/query',
    group: 'transport',
    title: `Krypton Query, HTTPS POST /kmip, ${c} conn`,
    server: 'krypton',
    transport: 'https',
    operation: fixedRequest(queryRequest('2.1'), 'Query'),
  })),
  // Gateway hot path (skips until Create/Encrypt/Decrypt land).
  ...at(BOTH, (c) => ({
    name: 'krypton-ttlv/encrypt-dek',
    group: 'gateway',
    title: `Krypton Encrypt of a 32-byte DEK, TTLV/mTLS, ${c} conn`,
    server: 'krypton',
    transport: 'ttlv',
    operation: dekCipher('2.1', 'Encrypt'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-ttlv/decrypt-dek',
    group: 'gateway',
    title: `Krypton Decrypt of a wrapped DEK, TTLV/mTLS, ${c} conn`,
    server: 'krypton',
    transport: 'ttlv',
    operation: dekCipher('2.1', 'Decrypt'),
  })),
  // Against PyKMIP: KMIP 1.4 on both sides, no pipelining (PyKMIP answers one at a time).
  ...at(BOTH, (c) => ({
    name: 'pykmip/discover-versions',
    group: 'pykmip',
    title: `PyKMIP DiscoverVersions (1.4), ${c} conn`,
    server: 'pykmip',
    transport: 'ttlv',
    pipeline: 1,
    operation: fixedRequest(discoverVersionsRequest('1.4'), 'DiscoverVersions'),
  })),
  ...at(BOTH, (c) => ({
    name: 'pykmip/query',
    group: 'pykmip',
    title: `PyKMIP Query (1.4), ${c} conn`,
    server: 'pykmip',
    transport: 'ttlv',
    pipeline: 1,
    operation: fixedRequest(queryRequest('1.4'), 'Query'),
  })),
  ...at(BOTH, (c) => ({
    name: 'pykmip/create-get-destroy',
    group: 'pykmip',
    title: `PyKMIP Create+Get+Destroy AES-256 (1.4), ${c} conn`,
    server: 'pykmip',
    transport: 'ttlv',
    pipeline: 1,
    operation: createGetDestroy('1.4'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-ttlv/discover-versions-1.4',
    group: 'pykmip',
    title: `Krypton DiscoverVersions (1.4), ${c} conn`,
    server: 'krypton',
    transport: 'ttlv',
    pipeline: 1,
    operation: fixedRequest(discoverVersionsRequest('1.4'), 'DiscoverVersions'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-ttlv/query-1.4',
    group: 'pykmip',
    title: `Krypton Query (1.4), ${c} conn`,
    server: 'krypton',
    transport: 'ttlv',
    pipeline: 1,
    operation: fixedRequest(queryRequest('1.4'), 'Query'),
  })),
  ...at(BOTH, (c) => ({
    name: 'krypton-ttlv/create-get-destroy-1.4',
    group: 'pykmip',
    title: `Krypton Create+Get+Destroy AES-256 (1.4), ${c} conn`,
    server: 'krypton',
    transport: 'ttlv',
    pipeline: 1,
    operation: createGetDestroy('1.4'),
  })),
  ...compared(),
  // Core: the core profile on a persistent store (PostgreSQL skipped, saying so, without a URL).
  ...coreScenarios('sqlite'),
  ...coreScenarios('postgres'),
  {
    kind: 'idle-connections',
    name: 'krypton-ttlv/idle-1000',
    group: 'memory',
    title: 'Krypton resident memory with 1,000 idle TTLV/mTLS connections',
    server: 'krypton',
    connections: 1000,
  },
]);

/**
 * A filter with a slash names whole path segments (`query/c1` is not `query/c16`, `pykmip/`
 * is every PyKMIP scenario); without one it is a substring (`idle`, `encrypt`).
 */
export function scenarioMatches(name: string, filter: string): boolean {
  if (!filter.includes('/')) return name.includes(filter);
  return `/${name}/`.includes(`/${filter.replace(/^\/+|\/+$/g, '')}/`);
}

/** Scenarios matching one of the filters (all when there is none). */
export function selectScenarios(filters: readonly string[]): Scenario[] {
  if (filters.length === 0) return [...SCENARIOS];
  return SCENARIOS.filter((s) => filters.some((f) => scenarioMatches(s.name, f)));
}
