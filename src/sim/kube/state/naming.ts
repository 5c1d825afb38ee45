/**
 * Deterministic stand-ins for the API server's random identifiers, so two runs of a test see the
 * same names (the simulator takes no randomness unless asked).
 */

/** The alphabet `generateName` suffixes use (k8s.io/apimachinery/pkg/util/rand: no vowels). */
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

export class Naming {
  private uids = 0;
  private suffixes = 0;
  private ips = 0;

  uid(): string {
    this.uids += 1;
    return `5e1a0000-0000-4000-8000-${this.uids.toString(16).padStart(12, '0')}`;
  }

  /** Five characters, like the API server appends to `metadata.generateName`. */
  suffix(): string {
    this.suffixes += 1;
    let n = this.suffixes * 7919;
    let out = '';
    for (let i = 0; i < 5; i += 1) {
      out += alphabet[n % alphabet.length] ?? 'x';
      n = Math.floor(n / alphabet.length);
    }
    return out;
  }

  podIP(): string {
    this.ips += 1;
    return `10.244.${Math.floor(this.ips / 250) % 250}.${(this.ips % 250) + 2}`;
  }
}

export function timestamp(at: Date = new Date()): string {
  return at.toISOString();
}
