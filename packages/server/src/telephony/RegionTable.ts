import { ValidationError } from '../errors.js';

export interface RegionTableOptions {
  /** Region name → ingest base URL (`wss://…`), from `PALAVER_REGIONS`. */
  regions: Readonly<Record<string, string>>;
  /** Calling code (digits, e.g. `1`, `91`, `4420`) → region name. */
  countryCodes: Readonly<Record<string, string>>;
  /** This node's ingest base URL, used when no configured region applies. */
  localIngestUrl: () => string;
}

/** The region a call's audio goes to and the ingest base URL for its stream. */
export interface IngestChoice {
  /** Null when this node takes the stream without a configured region. */
  region: string | null;
  /** Base URL without a trailing slash; the stream URL is `<base>/telnyx?ref=…`. */
  baseUrl: string;
}

/**
 * Chooses where Telnyx streams a call: the connector's pinned region, else the region of the
 * caller's country code, else this node.
 */
export class RegionTable {
  readonly #regions: ReadonlyMap<string, string>;
  readonly #countryCodes: readonly [string, string][];
  readonly #localIngestUrl: () => string;

  constructor(options: RegionTableOptions) {
    this.#regions = new Map(
      Object.entries(options.regions).map(([name, url]) => [name, url.replace(/\/+$/, '')]),
    );
    // Longest codes first, so `1242` (Bahamas) wins over `1`.
    this.#countryCodes = Object.entries(options.countryCodes).sort(
      ([a], [b]) => b.length - a.length,
    );
    this.#localIngestUrl = options.localIngestUrl;
  }

  /** Configured region names. */
  get names(): string[] {
    return [...this.#regions.keys()];
  }

  /**
   * Refuses a region that is not configured, when any are; with none configured every region
   * name is accepted and served by this node.
   */
  validate(region: string, field: string): void {
    if (this.#regions.size > 0 && !this.#regions.has(region)) {
      throw new ValidationError(
        `${field} "${region}" is not a configured region; configured regions: ${this.names.join(', ')}`,
        { source: { pointer: `/${field}` } },
      );
    }
  }

  choose(pinnedRegion: string | null, callerNumber: string): IngestChoice {
    if (pinnedRegion !== null) {
      const url = this.#regions.get(pinnedRegion);
      if (url !== undefined) {
        return { region: pinnedRegion, baseUrl: url };
      }
      return { region: pinnedRegion, baseUrl: this.#local() };
    }
    const derived = this.regionOfNumber(callerNumber);
    if (derived !== undefined) {
      const url = this.#regions.get(derived);
      if (url !== undefined) {
        return { region: derived, baseUrl: url };
      }
    }
    return { region: null, baseUrl: this.#local() };
  }

  /** The region the country-code table gives an E.164 number, if any. */
  regionOfNumber(number: string): string | undefined {
    const match = /^\+(\d+)$/.exec(number.replace(/[\s().-]/g, ''));
    if (match === null) {
      return undefined;
    }
    const digits = match[1] ?? '';
    return this.#countryCodes.find(([code]) => digits.startsWith(code))?.[1];
  }

  #local(): string {
    return this.#localIngestUrl().replace(/\/+$/, '');
  }
}
