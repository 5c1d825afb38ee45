/**
 * The runner pods' NetworkPolicy means what deploy/base/runners/network-policy.yaml says: no
 * ingress; egress to the internet, with the API server, the metadata address, the app's pods and
 * the cluster's ranges excepted; DNS only to kube-dns. Checked by evaluating the rendered policy
 * on addresses, not by reading its text.
 */
import { describe, expect, it } from 'vitest';
import { OVERLAYS, find, render } from './kustomize.js';
import { runnerPods } from './runner-pods.js';

interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
}
interface Policy {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress?: unknown[];
  egress: { to: Peer[]; ports?: { protocol: string; port: number }[] }[];
}

/** IPv4 CIDR containment (the IPv6 block is checked separately). */
function toInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}
function contains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  if (base.includes(':') || ip.includes(':')) return false;
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toInt(base) / size) * size;
  return toInt(ip) >= start && toInt(ip) < start + size;
}

/** Whether the policy lets a runner pod open a connection to `ip` on any port by IP rules. */
function egressAllowedTo(policy: Policy, ip: string): boolean {
  return policy.egress.some((rule) =>
    rule.to.some(
      (peer) =>
        peer.ipBlock !== undefined &&
        contains(peer.ipBlock.cidr, ip) &&
        !(peer.ipBlock.except ?? []).some((e) => contains(e, ip)),
    ),
  );
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const policy = () =>
    find(render(overlay), 'NetworkPolicy', 'rise-runners-isolation').spec as Policy;

  it('selects every runner pod, and no pool bypasses it with hostNetwork', () => {
    const objects = render(overlay);
    expect(find(objects, 'NetworkPolicy', 'rise-runners-isolation').metadata.namespace).toBe(
      'rise-runners',
    );
    const pods = runnerPods(overlay);
    expect(pods.length).toBeGreaterThan(0);
    for (const { labels, pod } of pods) {
      expect(pod.metadata?.labels).toMatchObject(policy().podSelector.matchLabels);
      expect({ labels, hostNetwork: pod.spec?.hostNetwork ?? false }).toEqual({
        labels,
        hostNetwork: false,
      });
    }
  });

  it('lets nothing in', () => {
    expect(policy().policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy().ingress ?? []).toEqual([]);
  });

  it('lets runner pods reach the internet', () => {
    for (const ip of ['140.82.112.3', '185.199.108.133', '8.8.8.8']) {
      expect(egressAllowedTo(policy(), ip)).toBe(true);
    }
  });

  it('keeps them from the metadata address, the API server and the cluster ranges', () => {
    const apiServer = policy().egress[0]!.to[0]!.ipBlock!.except!.at(-1)!.split('/')[0]!;
    const denied = {
      metadata: '169.254.169.254',
      apiServer,
      kubernetesService: '10.96.0.1', // kubeadm's default service range
      appPod: '10.244.1.17', // Flannel's default pod range: web and worker pods live here
      privateNode: '172.16.4.2',
      homeLab: '192.168.1.10',
      cgnat: '100.64.0.5',
    };
    for (const [what, ip] of Object.entries(denied)) {
      expect({ what, allowed: egressAllowedTo(policy(), ip) }).toEqual({ what, allowed: false });
    }
  });

  it('allows DNS to kube-dns only, and IPv6 only outside private and link-local space', () => {
    const dns = policy().egress.find((r) => r.to.some((p) => p.podSelector));
    expect(dns?.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    expect(dns?.ports?.map((p) => `${p.protocol}/${p.port}`).sort()).toEqual(['TCP/53', 'UDP/53']);
    const v6 = policy().egress[0]!.to.find((p) => p.ipBlock?.cidr === '::/0');
    expect(v6?.ipBlock?.except).toEqual(expect.arrayContaining(['fc00::/7', 'fe80::/10']));
    // Nothing else: no rule opens a namespace or pod selector beyond DNS.
    expect(policy().egress).toHaveLength(2);
  });
});

describe('the CIDR helper', () => {
  it('matches prefix boundaries', () => {
    expect(contains('10.0.0.0/8', '10.255.255.255')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.0')).toBe(false);
    expect(contains('169.254.169.254/32', '169.254.169.254')).toBe(true);
    expect(contains('0.0.0.0/0', '1.2.3.4')).toBe(true);
  });
});
