/**
 * Network namespaces for the distributed e2e tests: a bridge on the host with a private /24, and
 * one namespace per worker joined to it by a veth pair. Traffic stays between the host's bridge
 * address and those namespaces. Everything is created by `create` and removed by `remove`, also
 * after a failure; `netnsAvailable()` says whether the machine allows it (root, iproute2).
 */
import { execFileSync, spawnSync } from 'node:child_process';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Whether namespaces can be made here: a probe namespace is added and deleted. */
export function netnsAvailable(): { ok: boolean; why: string } {
  const probe = `pjprobe${process.pid % 100_000}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.error || add.status !== 0)
    return { ok: false, why: add.error?.message ?? add.stderr.trim() ?? 'ip netns add failed' };
  spawnSync('ip', ['netns', 'del', probe]);
  return { ok: true, why: '' };
}

export interface Host {
  /** The namespace's name (for `ip netns exec`). */
  readonly ns: string;
  /** Its address on the bridge. */
  readonly address: string;
  /** The host side of its veth: down is a partition. */
  readonly link: string;
}

export class NetLab {
  readonly hosts: Host[] = [];
  private bridgeUp = false;

  private constructor(
    private readonly tag: string,
    readonly subnet: string,
  ) {}

  /** The bridge's address on the host: where servers listen for the namespaces. */
  get hostAddress(): string {
    return `${this.subnet}.1`;
  }

  get bridge(): string {
    return `${this.tag}br`;
  }

  /** A bridge and `count` namespaces; on any failure, what was made is removed before throwing. */
  static create(count: number): NetLab {
    const id = process.pid % 200;
    const lab = new NetLab(`pj${process.pid % 100_000}`, `10.213.${id}`);
    try {
      ip('link', 'add', lab.bridge, 'type', 'bridge');
      lab.bridgeUp = true;
      ip('addr', 'add', `${lab.hostAddress}/24`, 'dev', lab.bridge);
      ip('link', 'set', lab.bridge, 'up');
      for (let i = 0; i < count; i++) lab.addHost(i);
      return lab;
    } catch (error) {
      lab.remove();
      throw error;
    }
  }

  private addHost(i: number): void {
    const ns = `${this.tag}n${i}`;
    const link = `${this.tag}h${i}`;
    const inside = `${this.tag}c${i}`;
    ip('netns', 'add', ns);
    const host = { ns, address: `${this.subnet}.${i + 2}`, link };
    this.hosts.push(host);
    ip('link', 'add', link, 'type', 'veth', 'peer', 'name', inside);
    ip('link', 'set', inside, 'netns', ns);
    ip('link', 'set', link, 'master', this.bridge);
    ip('link', 'set', link, 'up');
    ip('-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', inside);
    ip('-n', ns, 'link', 'set', inside, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }

  /** Partition (`false`) or heal (`true`) a host's link. */
  setLink(host: Host, up: boolean): void {
    ip('link', 'set', host.link, up ? 'up' : 'down');
  }

  /** Removes every namespace (their veth pairs go with them) and the bridge; never throws. */
  remove(): void {
    for (const host of this.hosts.splice(0)) {
      spawnSync('ip', ['link', 'del', host.link]);
      spawnSync('ip', ['netns', 'del', host.ns]);
    }
    if (this.bridgeUp) spawnSync('ip', ['link', 'del', this.bridge]);
    this.bridgeUp = false;
  }

  /** Names of this lab's namespaces still on the machine (for the cleanup check). */
  leftovers(): string[] {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    const links = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout ?? '';
    return [
      ...list.split('\n').filter((l) => l.startsWith(this.tag)),
      ...(links.includes(`${this.bridge}:`) ? [this.bridge] : []),
    ];
  }
}
