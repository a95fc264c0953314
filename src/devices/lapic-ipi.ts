// Where an interrupt message goes: the ICR's delivery mode, shorthand and destination (Intel SDM Vol. 3A
// 11.6.1 Figure 11-12, 11.6.2 destinations, 11.12.10 x2APIC logical destinations), decided for the one
// local APIC of this machine. LocalApic (lapic.ts) sends what these functions route; they hold no state.

import type { OnceLog } from './device-log.js';
import {
  DELIVERY_MODE_FIXED, DELIVERY_MODE_NAMES, DELIVERY_MODE_NMI, ICR_DELIVERY_MODE_SHIFT, ICR_DESTINATION_MODE_LOGICAL, ICR_SHORTHAND_SHIFT,
  ICR_VECTOR, SHORTHAND_ALL_INCLUDING_SELF, SHORTHAND_NONE, SHORTHAND_SELF, hex,
} from './lapic-regs.js';

/** The identity a destination is matched against. */
export interface ApicDestinationRegs {
  /** The APIC ID (xAPIC: 8 bits; x2APIC: 32). */
  readonly id: number;
  /** The xAPIC logical destination register as stored (bits 31:24). */
  readonly ldr: number;
  /** The xAPIC destination format register. */
  readonly dfr: number;
  /** The APIC is in x2APIC mode (32-bit destinations, logical IDs derived from the ID). */
  readonly x2apic: boolean;
}

/** x2APIC logical ID derived from the x2APIC ID: cluster in 31:16, one-hot position in 15:0 (SDM 11.12.10.2). */
export function x2apicLogicalId(id: number): number {
  return (((id >>> 4) << 16) | (1 << (id & 0xf))) >>> 0;
}

/** Logical destination `dest` names this APIC (SDM 11.6.2.2; x2APIC 11.12.10.2 when `x2`). The xAPIC cluster
 *  model is not modelled: logged once, no match. */
export function logicalMatch(self: ApicDestinationRegs, dest: number, x2: boolean, once: OnceLog): boolean {
  if (x2) {
    // x2APIC logical: cluster in 31:16 must match, then the one-hot bits intersect (SDM 11.12.10.2).
    const ldr = x2apicLogicalId(self.id);
    return (dest >>> 16) === (ldr >>> 16) && (dest & ldr & 0xffff) !== 0;
  }
  if ((self.dfr >>> 28) === 0xf) return ((self.ldr >>> 24) & dest) !== 0; // flat model
  once.unsupported('cluster-logical', 'xAPIC cluster-model logical destination is not modelled: IPI dropped', { dfr: hex(self.dfr) });
  return false;
}

/** What an ICR write delivers to this APIC (SDM 11.6.1); undefined: nothing (logged once per kind). */
export type IcrRoute = { readonly kind: 'nmi' } | { readonly kind: 'fixed'; readonly vector: number };

/** Route the IPI the ICR (`low`, `high`) describes: only NMI and fixed interrupts that reach this APIC are
 *  delivered; every other mode (lowest priority, SMI, INIT, SIPI) and destinations that do not include this
 *  APIC (there is no other CPU) are logged once and dropped. */
export function routeIcr(self: ApicDestinationRegs, low: number, high: number, once: OnceLog): IcrRoute | undefined {
  const mode = (low >>> ICR_DELIVERY_MODE_SHIFT) & 7;
  const shorthand = (low >>> ICR_SHORTHAND_SHIFT) & 3;
  const toSelf = shorthand === SHORTHAND_SELF || shorthand === SHORTHAND_ALL_INCLUDING_SELF || (shorthand === SHORTHAND_NONE && destinationIsSelf(self, low, high, once));
  if (mode === DELIVERY_MODE_NMI && toSelf) return { kind: 'nmi' };
  if (mode !== DELIVERY_MODE_FIXED) {
    once.unsupported(`icr-mode-${mode}`, `ICR delivery mode ${DELIVERY_MODE_NAMES[mode]} is not modelled: IPI dropped`, { icr: hex(low), icrHigh: hex(high) });
    return undefined;
  }
  if (!toSelf) {
    once.unsupported('icr-other-cpu', 'IPI to a destination that is not this CPU: there is no other CPU, IPI dropped', { icr: hex(low), icrHigh: hex(high) });
    return undefined;
  }
  return { kind: 'fixed', vector: low & ICR_VECTOR };
}

/** The ICR's destination field (no shorthand) names this APIC. */
function destinationIsSelf(self: ApicDestinationRegs, low: number, high: number, once: OnceLog): boolean {
  const x2 = self.x2apic;
  const dest = x2 ? high : high >>> 24;
  if ((low & ICR_DESTINATION_MODE_LOGICAL) === 0) return dest === self.id || (!x2 && dest === 0xff) || (x2 && dest === 0xffffffff);
  return logicalMatch(self, dest, x2, once);
}
