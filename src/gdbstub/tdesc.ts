// Target description XML (GDB manual, "Target Descriptions"): one target.xml with one <feature> per distinct
// RegisterInfo.feature in first-appearance order, each register with an explicit regnum equal to its index
// in target.registers, so the `g` layout and the XML can never disagree. featureTypes supplies the <flags>/
// <struct> type definitions a feature's registers refer to; they go first inside their feature, as the DTD
// requires types to be defined before use.

import type { GdbTarget } from './target.js';

export function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function buildTargetXml(target: GdbTarget): string {
  const order: string[] = [];
  const byFeature = new Map<string, string[]>();
  target.registers.forEach((r, i) => {
    let lines = byFeature.get(r.feature);
    if (lines === undefined) {
      lines = [];
      byFeature.set(r.feature, lines);
      order.push(r.feature);
    }
    const group = r.group !== undefined ? ` group="${xmlAttr(r.group)}"` : '';
    lines.push(
      `  <reg name="${xmlAttr(r.name)}" bitsize="${r.bitsize}" type="${xmlAttr(r.type)}" regnum="${i}"${group}/>`,
    );
  });
  let xml =
    '<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n' +
    `  <architecture>${xmlAttr(target.architecture)}</architecture>\n`;
  for (const f of order) {
    xml += `  <feature name="${xmlAttr(f)}">\n`;
    const types = target.featureTypes?.[f];
    if (types) xml += types.endsWith('\n') ? types : types + '\n';
    xml += byFeature.get(f)!.join('\n') + '\n  </feature>\n';
  }
  return xml + '</target>\n';
}
