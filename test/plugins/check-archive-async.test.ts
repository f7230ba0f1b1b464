/**
 * Check, Archive/Recover (with Locate's Storage Status Mask) and asynchronous execution (the
 * Asynchronous Indicator, Poll, Cancel) through the real dispatcher on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CancellationResult, ResultStatus, Tag } from '../../core/spec/index.js';
import {
  byteString,
  child,
  enumeration,
  integer,
  interval,
  longInteger,
  structure,
  textString,
} from '../../core/ttlv/tree.js';
import {
  CORE_PLUGINS,
  PHASE_3_4_PLUGINS,
  aesAttributes,
  attributesFor,
  call,
  createKey,
  identity,
  openHarness,
  postgresSkip,
  textOf,
  uid,
  type Adapter,
  type CoreHarness,
} from './support.js';
import { batchWith } from './request-header.js';

const alice = identity('alice', 'tenant-a');
const mallory = identity('mallory', 'tenant-a');

const ENCRYPT = 0x04;
const DECRYPT = 0x08;

function suite(adapter: Adapter, skip: string | false): void {
  describe(`check, archive and asynchronous operations on ${adapter}`, { skip }, () => {
    let h: CoreHarness;
    /** Jobs submitted asynchronously, started only when a test says so. */
    const held: (() => void)[] = [];
    before(async () => {
      h = await openHarness(adapter, {
        plugins: [...CORE_PLUGINS, ...PHASE_3_4_PLUGINS],
        asynchronous: { schedule: (start) => void held.push(start) },
      });
    });
    after(async () => h?.close());

    it('check-accepts-a-usage-within-the-mask-and-refuses-one-outside', async () => {
      // BL-M-2/3: Encrypt-only key, Check Encrypt passes, Check Decrypt fails.
      for (const v of ['1.4', '2.1'] as const) {
        const id = await createKey(h, alice, v, aesAttributes(256, ENCRYPT));
        const ok = await call(h, alice, v, 'Check', [uid(id), integer(Tag.CryptographicUsageMask, ENCRYPT)]);
        assert.deepEqual(ok.payload?.value, [uid(id)], ok.resultMessage);
        const no = await call(h, alice, v, 'Check', [uid(id), integer(Tag.CryptographicUsageMask, DECRYPT)]);
        assert.equal(no.reasonName, v === '2.1' ? 'IncompatibleCryptographicUsageMask' : 'PermissionDenied');
      }
    });

    it('check-refuses-more-than-the-usage-limits-allow-and-a-longer-lease', async () => {
      const id = await createKey(h, alice, '2.1', aesAttributes(256, ENCRYPT));
      const limits = structure(Tag.UsageLimits, [
        longInteger(Tag.UsageLimitsTotal, 100n),
        longInteger(Tag.UsageLimitsCount, 100n),
        enumeration(Tag.UsageLimitsUnit, 1),
      ]);
      const set = await call(h, alice, '2.1', 'AddAttribute', [
        uid(id),
        structure(Tag.NewAttribute, [limits]),
      ]);
      assert.equal(set.resultStatus, 0, set.resultMessage);
      const within = await call(h, alice, '2.1', 'Check', [uid(id), longInteger(Tag.UsageLimitsCount, 100n)]);
      assert.equal(within.resultStatus, 0, within.resultMessage);
      const over = await call(h, alice, '2.1', 'Check', [uid(id), longInteger(Tag.UsageLimitsCount, 101n)]);
      assert.equal(over.reasonName, 'UsageLimitExceeded');
      const over14 = await call(h, alice, '1.4', 'Check', [uid(id), longInteger(Tag.UsageLimitsCount, 101n)]);
      assert.equal(over14.reasonName, 'PermissionDenied');
      // Krypton grants no leases: without a Lease Time on the object any lease passes Check.
      const lease = await call(h, alice, '2.1', 'Check', [uid(id), interval(Tag.LeaseTime, 3600)]);
      assert.equal(lease.resultStatus, 0, lease.resultMessage);
    });

    it('a-refused-check-empties-the-id-placeholder', async () => {
      // Create sets the placeholder; a refused Check empties it, so the next item names nothing.
      const items = await batchWith(
        h,
        alice,
        '2.1',
        [
          [
            'Create',
            [enumeration(Tag.ObjectType, 2), await attributesFor('2.1', aesAttributes(256, ENCRYPT))],
          ],
          ['Check', [integer(Tag.CryptographicUsageMask, DECRYPT)]],
          ['GetAttributes', []],
        ],
        { continueOnError: true },
      );
      assert.equal(items[0]?.resultStatus, ResultStatus.Success);
      assert.equal(items[1]?.reasonName, 'IncompatibleCryptographicUsageMask');
      assert.equal(items[2]?.reasonName, 'MissingData', 'no object left for the next item');
    });

    it('archive-takes-an-object-off-line-until-recover', async () => {
      const name = `arc-${randomBytes(4).toString('hex')}`;
      const id = await createKey(
        h,
        alice,
        '1.4',
        aesAttributes(256, ENCRYPT, [{ name: 'Name', value: { NameValue: name, NameType: 1 } }]),
      );
      const byName = (mask?: number) =>
        call(h, alice, '2.1', 'Locate', [
          ...(mask !== undefined ? [integer(Tag.StorageStatusMask, mask)] : []),
          structure(Tag.Attributes, [
            structure(Tag.Name, [textString(Tag.NameValue, name), enumeration(Tag.NameType, 1)]),
          ]),
        ]).then((r) =>
          (r.payload?.value ?? []).filter((c) => c.tag === Tag.UniqueIdentifier).map((c) => c.value),
        );
      const archived = await call(h, alice, '1.4', 'Archive', [uid(id)]);
      assert.deepEqual(archived.payload?.value, [uid(id)]);
      assert.equal((await h.services.store.get('tenant-a', id)).archived, true);
      assert.deepEqual(await byName(), [], 'Locate lists on-line objects by default');
      assert.deepEqual(await byName(0x2), [id], 'Storage Status Mask Archival finds it');
      assert.equal((await call(h, alice, '1.4', 'Archive', [uid(id)])).reasonName, 'ObjectArchived');
      const add = await call(h, alice, '2.1', 'AddAttribute', [
        uid(id),
        structure(Tag.NewAttribute, [textString(Tag.Comment, 'c')]),
      ]);
      assert.equal(add.reasonName, 'ObjectArchived');
      assert.equal((await call(h, alice, '2.1', 'Check', [uid(id)])).reasonName, 'ObjectArchived');
      const recovered = await call(h, alice, '2.1', 'Recover', [uid(id)]);
      assert.deepEqual(recovered.payload?.value, [uid(id)]);
      assert.deepEqual(await byName(), [id]);
      const stored = await h.services.store.get('tenant-a', id);
      assert.equal(stored.archived, false);
      assert.equal(stored.dates.ArchiveDate, undefined);
    });

    it('asynchronous-indicator-answers-pending-and-poll-returns-the-result-once', async () => {
      const id = await createKey(h, alice, '1.4', aesAttributes(256, ENCRYPT));
      const [pending] = await batchWith(h, alice, '1.4', [['Archive', [uid(id)]]], { asynchronous: true });
      assert.equal(pending?.resultStatus, ResultStatus.OperationPending);
      assert.equal(pending?.payload, undefined);
      const correlation = pending?.asynchronousCorrelationValue;
      assert.ok(correlation && correlation.length > 0);
      const corr = byteString(Tag.AsynchronousCorrelationValue, correlation);
      assert.equal((await h.services.store.get('tenant-a', id)).archived, false, 'not run yet');
      const early = await call(h, alice, '1.4', 'Poll', [corr]);
      assert.equal(early.resultStatus, ResultStatus.OperationPending);
      // Another identity of the same tenant cannot see it.
      assert.equal((await call(h, mallory, '1.4', 'Poll', [corr])).reasonName, 'ItemNotFound');
      assert.equal(
        (await call(h, mallory, '2.1', 'Poll', [corr])).reasonName,
        'InvalidAsynchronousCorrelationValue',
      );
      held.splice(0).forEach((start) => start());
      let done = early;
      for (let i = 0; i < 1000 && done.resultStatus === ResultStatus.OperationPending; i++) {
        await new Promise((r) => setImmediate(r));
        done = await call(h, alice, '1.4', 'Poll', [corr]);
      }
      assert.equal(done.resultStatus, ResultStatus.Success, done.resultMessage);
      assert.equal(textOf(done.payload, Tag.UniqueIdentifier), id);
      assert.equal((await h.services.store.get('tenant-a', id)).archived, true);
      assert.equal(
        (await call(h, alice, '1.4', 'Poll', [corr])).reasonName,
        'ItemNotFound',
        'delivered once',
      );
    });

    it('a-failed-asynchronous-operation-is-polled-with-its-reason-in-the-polls-version', async () => {
      for (const [started, polled, reason] of [
        ['1.4', '1.4', 'ItemNotFound'],
        ['2.1', '2.1', 'ObjectNotFound'],
        ['2.1', '1.4', 'ItemNotFound'],
      ] as const) {
        const [pending] = await batchWith(h, alice, started, [['Recover', [uid('no-such-object')]]], {
          asynchronous: true,
        });
        assert.equal(pending?.resultStatus, ResultStatus.OperationPending);
        const corr = byteString(Tag.AsynchronousCorrelationValue, pending!.asynchronousCorrelationValue!);
        held.splice(0).forEach((start) => start());
        let done = await call(h, alice, polled, 'Poll', [corr]);
        for (let i = 0; i < 1000 && done.resultStatus === ResultStatus.OperationPending; i++) {
          await new Promise((r) => setImmediate(r));
          done = await call(h, alice, polled, 'Poll', [corr]);
        }
        assert.equal(done.resultStatus, ResultStatus.OperationFailed);
        assert.equal(done.reasonName, reason, `started in ${started}, polled in ${polled}`);
      }
    });

    it('cancel-stops-an-operation-that-has-not-started', async () => {
      const id = await createKey(h, alice, '1.4', aesAttributes(256, ENCRYPT));
      const [pending] = await batchWith(h, alice, '1.4', [['Archive', [uid(id)]]], { asynchronous: true });
      const corr = byteString(Tag.AsynchronousCorrelationValue, pending!.asynchronousCorrelationValue!);
      const canceled = await call(h, alice, '1.4', 'Cancel', [corr]);
      assert.equal(child(canceled.payload, Tag.CancellationResult)?.value, CancellationResult.Canceled);
      assert.deepEqual(child(canceled.payload, Tag.AsynchronousCorrelationValue)?.value, corr.value);
      held.splice(0).forEach((start) => start());
      const polled = await call(h, alice, '1.4', 'Poll', [corr]);
      assert.equal(polled.reasonName, 'OperationCanceledByRequester');
      assert.equal((await h.services.store.get('tenant-a', id)).archived, false, 'never ran');
      const unknown = await call(h, alice, '2.1', 'Cancel', [
        byteString(Tag.AsynchronousCorrelationValue, randomBytes(16)),
      ]);
      assert.equal(unknown.reasonName, 'InvalidAsynchronousCorrelationValue');
    });

    it('operations-that-do-not-allow-asynchronous-execution-run-synchronously', async () => {
      const id = await createKey(h, alice, '1.4', aesAttributes(256, ENCRYPT));
      const [r] = await batchWith(h, alice, '1.4', [['GetAttributes', [uid(id)]]], { asynchronous: true });
      assert.equal(r?.resultStatus, ResultStatus.Success);
      assert.equal(r?.asynchronousCorrelationValue, undefined);
      assert.equal(held.length, 0);
    });
  });
}

suite('sqlite', false);
suite('postgres', postgresSkip());
