// SPKI sha256 pin sets, the way Android's Network Security Config has them: per host pattern, with a
// required backup pin (a key held in reserve, so that rotating the server's key does not lock every
// client out) and an expiry date after which the set stops applying (so that a forgotten validator
// cannot block a host for ever). The failure reason lists the pins seen and expected, as OkHttp does.
import type { Pin, PinSet as DeclaredPinSet, PinSetOptions, RuleOutcome, ValidationInput } from '../managed-downloads-validator';
import { ValidatorConfigError } from './config-error';
import { parseHostList } from './host-patterns';
import { log, warnNowAndThen } from './log';
import { asReportOnly, endpointOf, HostRule, S_OK } from './rule';

/** CERT_E_UNTRUSTEDROOT: what a pinning failure declines with (as checkPins does). */
const PIN_MISMATCH = 0x800b0109;
const DAY_MS = 24 * 3600 * 1000;
/** A set that expires within this many days warns in the log. */
export const EXPIRY_WARNING_DAYS = 30;

const PIN_FORM = /^sha256\/([A-Za-z0-9+/]{43}=)$/;

const HOW_TO_GET_A_PIN =
  '"Managed Downloads: Test Certificate Validator on URL..." (or managed-downloads check-cert URL) shows the SPKI sha256 of each certificate a server sends; ' +
  'for a key file: openssl pkey -in key.pem -pubout -outform der | openssl dgst -sha256 -binary | base64';

/** `sha256/<base64 of 32 bytes>`, or a ValidatorConfigError that says what a pin looks like. */
export function parsePin(pin: unknown, owner: string): string {
  const m = typeof pin === 'string' ? PIN_FORM.exec(pin.trim()) : null;
  if (!m) {
    throw new ValidatorConfigError(
      `${owner}: ${JSON.stringify(pin)} is not an SPKI pin. A pin is "sha256/" followed by the base64 sha256 of a SubjectPublicKeyInfo (44 characters ending in "="). ${HOW_TO_GET_A_PIN}`,
    );
  }
  return m[1];
}

/** A date-only string means the whole of that day (UTC): the set applies through it. */
function parseExpiry(value: string | Date | undefined, owner: string): Date | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValidatorConfigError(`${owner}: expires is an invalid Date`);
    return value;
  }
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const parsed = dateOnly
    ? new Date(Date.UTC(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3]), 23, 59, 59, 999))
    : new Date(value);
  if (Number.isNaN(parsed.getTime()) || (dateOnly && parsed.getUTCDate() !== Number(dateOnly[3]))) {
    throw new ValidatorConfigError(
      `${owner}: expires "${value}" is not a date; write it as 'YYYY-MM-DD' (the set applies through that day, UTC)`,
    );
  }
  return parsed;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export class PinSet extends HostRule implements DeclaredPinSet {
  readonly pins: Pin[];
  readonly backupPins: Pin[];
  readonly expires?: Date;
  private readonly wanted: Set<string>;

  constructor(options: PinSetOptions, now = new Date()) {
    const owner = `pin set${options?.name ? ` "${options.name}"` : Array.isArray(options?.hosts) ? ` for ${options.hosts.join(', ')}` : ''}`;
    if (typeof options !== 'object' || options === null)
      throw new ValidatorConfigError('pinSet needs { hosts, pins, backupPins, expires? }');
    const patterns = parseHostList(options.hosts, owner);
    const pins = (Array.isArray(options.pins) ? options.pins : []).map((p) => parsePin(p, owner));
    if (pins.length === 0)
      throw new ValidatorConfigError(
        `${owner}: give at least one pin, e.g. pins: ['sha256/...'] (the SPKI sha256 of a key the server sends). ${HOW_TO_GET_A_PIN}`,
      );
    const backups = (Array.isArray(options.backupPins) ? options.backupPins : []).map((p) => parsePin(p, owner));
    if (backups.length === 0) {
      throw new ValidatorConfigError(
        `${owner} has no backup pin. Add backupPins: ['sha256/...'], the SPKI sha256 of a key you hold in reserve and do not serve yet, so that replacing the server's key does not lock every client out (Android's Network Security Config and HPKP require one too).`,
      );
    }
    const overlap = backups.filter((b) => pins.includes(b));
    if (overlap.length > 0)
      throw new ValidatorConfigError(
        `${owner}: the backup pin sha256/${overlap[0]} is also a pin; a backup pin must be a different key, held in reserve`,
      );
    super(options.name ?? `pin set for ${patterns.map((p) => p.text).join(', ')}`, patterns, options.reportOnly === true);
    this.pins = pins.map((p) => `sha256/${p}` as Pin);
    this.backupPins = backups.map((p) => `sha256/${p}` as Pin);
    this.expires = parseExpiry(options.expires, owner);
    this.wanted = new Set([...pins, ...backups]);
    this.warnAboutExpiry(now);
  }

  private warnAboutExpiry(now: Date): void {
    if (!this.expires) return;
    const left = this.expires.getTime() - now.getTime();
    if (left < 0) {
      warnNowAndThen(
        `expired:${this.name}`,
        `${this.name} expired on ${day(this.expires)} and no longer applies: its hosts are not pinned. Renew its pins and its expires date, or remove it.`,
        now.getTime(),
      );
    } else if (left < EXPIRY_WARNING_DAYS * DAY_MS) {
      const days = Math.max(1, Math.ceil(left / DAY_MS));
      warnNowAndThen(
        `expiring:${this.name}`,
        `${this.name} expires in ${days} day(s), on ${day(this.expires)}; after that its pins stop applying. Check the pins and move the date.`,
        now.getTime(),
      );
    }
  }

  /** Whether the set still applies at `now` (not past its expiry date). */
  isActive(now = new Date()): boolean {
    return !this.expires || now.getTime() <= this.expires.getTime();
  }

  evaluate(input: ValidationInput, now = new Date()): RuleOutcome | undefined {
    if (!this.appliesToHost(input.endpoint.host)) return undefined;
    this.warnAboutExpiry(now);
    if (!this.isActive(now)) return undefined;
    if (input.certStore.some((c) => this.wanted.has(c.spkiSha256))) {
      if (this.reportOnly) log.info(`[report-only] ${this.name}: ${endpointOf(input)} matches a pin`);
      return { result: S_OK, vouched: false };
    }
    const seen = input.certStore.map((c) => `sha256/${c.spkiSha256} (${c.subject})`).join(', ');
    const expected = [...this.pins, ...this.backupPins.map((p) => `${p} (backup)`)].join(', ');
    const reason = `certificate pinning failure for ${endpointOf(input)}: the server's chain has ${seen}; ${this.name} expects one of ${expected}`;
    const outcome: RuleOutcome = { result: { code: PIN_MISMATCH, reason }, vouched: false };
    return this.reportOnly ? asReportOnly(this.name, input, outcome) : outcome;
  }
}

export function pinSet(options: PinSetOptions): PinSet {
  return new PinSet(options);
}
