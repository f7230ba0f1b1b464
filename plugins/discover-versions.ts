/**
 * Discover Versions (KMIP 2.1 §6.1.17, 1.4 §4.26): the versions the server answers that the
 * client listed, in the server's order of preference (highest first); all of them when the
 * client listed none. Answered in 1.0 too: a 1.0 client may probe with it before negotiating.
 *
 * Failure cases: none of its own; a malformed Protocol Version is Invalid Message.
 */
import { KryptonError } from '../core/errors.js';
import { defineOperation } from '../core/dispatch/operation.js';
import { KMIP_VERSIONS, Tag, parseVersion } from '../core/spec/index.js';
import type { KmipVersion } from '../core/spec/index.js';
import { child, children, integer, structure } from '../core/ttlv/tree.js';
import type { TtlvItem } from '../core/ttlv/types.js';

function versionItem(v: KmipVersion): TtlvItem {
  const [major, minor] = v.split('.').map(Number) as [number, number];
  return structure(Tag.ProtocolVersion, [
    integer(Tag.ProtocolVersionMajor, major),
    integer(Tag.ProtocolVersionMinor, minor),
  ]);
}

export const discoverVersions = defineOperation({
  operation: 'DiscoverVersions',
  phase: 1,
  roles: ['core', 'gateway'],
  permission: 'discover',
  handle(_ctx, payload) {
    const served = [...KMIP_VERSIONS].reverse();
    const asked = children(payload, Tag.ProtocolVersion).map((pv, i) => {
      const major = child(pv, Tag.ProtocolVersionMajor);
      const minor = child(pv, Tag.ProtocolVersionMinor);
      if (major?.type !== 'Integer' || minor?.type !== 'Integer') {
        throw new KryptonError('KRY_MSG_MISSING_FIELD', 'ProtocolVersion', {
          field: `RequestPayload/ProtocolVersion[${i}]`,
        });
      }
      return parseVersion(major.value, minor.value);
    });
    const answer = asked.length === 0 ? served : served.filter((v) => asked.includes(v));
    return answer.map(versionItem);
  },
});
