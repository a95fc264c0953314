// --config FILE: JSON and YAML files produce the same validated MachineConfig; bad values name the valid ones.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromArgv } from '../../src/cli/options.js';

const dir = mkdtempSync(join(tmpdir(), 'dbstub-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('--config FILE', () => {
  it('reads YAML (flag or camelCase keys) and JSON to the same config', () => {
    const y = configFromArgv({ config: file('a.yaml', 'vendor: amd\nqemu-db-routing: corrected\nhostDebugctl: 4\nlbrv: false\n') });
    const j = configFromArgv({ config: file('a.json', '{"vendor":"amd","qemuDbRouting":"corrected","host-debugctl":4,"lbrv":false}') });
    expect(y).toEqual(j);
    expect(y.vendor).toBe('amd');
    expect(y.qemuDbRouting).toBe('corrected');
    expect(y.hostDebugctl).toBe(4);
  });
  it('rejects an invalid YAML value naming the valid ones', () => {
    expect(() => configFromArgv({ config: file('b.yml', 'mode: vmware\n') })).toThrow(/valid values: bare, kvm/);
  });
  it('rejects YAML that is not a mapping', () => {
    expect(() => configFromArgv({ config: file('c.yaml', '- intel\n- amd\n') })).toThrow(/must hold a YAML object/);
    // An unknown tag was a Node process warning on the terminal, then the value taken as a string.
    expect(() => configFromArgv({ config: file('t.yaml', 'vendor: !!js/function "amd"\n') })).toThrow(/config file .*t\.yaml is not valid YAML: .*Unresolved tag: tag:yaml\.org,2002:js\/function/s);
  });
});
