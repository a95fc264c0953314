// How a device reports something worth a log line (an unsupported feature a guest used, a register
// write the model ignores). Devices do not import pino: the machine maps these calls onto its logger,
// so a unit test can collect them with a plain array.

export type DeviceLogLevel = 'debug' | 'info' | 'warn';

export type DeviceLog = (level: DeviceLogLevel, event: string, data: Record<string, unknown>) => void;

/** Stable event names of the device models (README event table). */
export const DEVICE_EVENTS = {
  /** The guest used a device feature this model does not implement; logged once per feature. data: { device, feature, detail } */
  UNSUPPORTED: 'device.unsupported',
} as const;

export const silentDeviceLog: DeviceLog = () => {};

/** A DeviceLog wrapper that reports each distinct `feature` only once (a guest in a loop must not flood the log). */
export class OnceLog {
  private readonly seen = new Set<string>();
  constructor(private readonly log: DeviceLog, private readonly device: string) {}

  unsupported(feature: string, detail: string, extra: Record<string, unknown> = {}): void {
    if (this.seen.has(feature)) return;
    this.seen.add(feature);
    this.log('warn', DEVICE_EVENTS.UNSUPPORTED, { device: this.device, feature, detail, ...extra });
  }

  /** Forget what was reported (machine reset). */
  clear(): void {
    this.seen.clear();
  }
}
