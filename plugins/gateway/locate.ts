/**
 * Locate at the gateway (KMIP 2.1 §6.1.27, 1.4 §4.9): the vault's L4 matches followed by the
 * core's answer, one list paged as the client asked — Offset Items skips the first matches of the
 * merged list, Maximum Items caps what is returned — and Located Items (1.3+, when the request
 * pages, as at the core) counts both sides.
 * A level filter of L4 asks only the vault, L2/L3 only the core.
 *
 * Failure cases: as the core's Locate; the core unreachable → General Failure (no partial list).
 */
import { defineOperation } from '../../core/dispatch/operation.js';
import { forwardItem, gatewayOf } from '../../core/gateway/index.js';
import { Tag } from '../../core/spec/index.js';
import { child, children, integer, structure, textString } from '../../core/ttlv/tree.js';
import type { TtlvItem } from '../../core/ttlv/types.js';
import { answersLocatedItems, locateQueryOf, placeLocated } from '../locate.js';
import { GATEWAY_SERVICES_PLUGIN, local } from './routing.js';

export const locate = defineOperation({
  operation: 'Locate',
  phase: 1,
  roles: ['gateway'],
  permission: 'locate',
  dependencies: [GATEWAY_SERVICES_PLUGIN],
  async handle(ctx, payload) {
    const gw = gatewayOf(ctx);
    const query = await local(ctx, async () => locateQueryOf(payload));
    const cap = gw.settings.vault.maxLocateItems;
    const offset = query.offsetItems ?? 0;
    const max = Math.min(query.maximumItems ?? cap, cap);
    const withCount = answersLocatedItems(query, ctx.protocolVersion);
    // Enough of each side to fill the page after the offset, paged once the lists are merged.
    const want = offset + max;
    const askVault = query.keyLevel === undefined || query.keyLevel === 4;
    const askCore = query.keyLevel !== 4;
    const mine = askVault
      ? await local(ctx, () =>
          gw.vault.locate(ctx.tenant, {
            ...query,
            keyLevel: 4,
            offsetItems: 0,
            maximumItems: want,
            countTotal: true,
          }),
        )
      : { ids: [] as string[], located: 0 };
    let theirs: string[] = [];
    let theirCount = 0;
    if (askCore) {
      const rest = (payload?.value ?? []).filter(
        (c) => c.tag !== Tag.MaximumItems && c.tag !== Tag.OffsetItems,
      );
      const answer = await forwardItem(
        gw.delegate,
        ctx,
        'Locate',
        structure(Tag.RequestPayload, [
          integer(Tag.MaximumItems, Math.max(want - Math.min(mine.ids.length, want), 0) || 1),
          ...rest,
        ]),
      );
      theirs = children(answer, Tag.UniqueIdentifier).flatMap((c) =>
        c.type === 'TextString' ? [c.value] : [],
      );
      if (want - mine.ids.length <= 0) theirs = [];
      const located = child(answer, Tag.LocatedItems);
      theirCount = located?.type === 'Integer' ? located.value : theirs.length;
    }
    const page = [...mine.ids, ...theirs].slice(offset, offset + max);
    placeLocated(ctx, page);
    const out: TtlvItem[] = [];
    if (withCount) out.push(integer(Tag.LocatedItems, (mine.located ?? mine.ids.length) + theirCount));
    for (const id of page) out.push(textString(Tag.UniqueIdentifier, id));
    return out;
  },
});
