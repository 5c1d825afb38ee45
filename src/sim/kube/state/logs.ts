/** Container logs: what `GET …/pods/NAME/log` serves, kept per pod uid so a recreated pod starts empty. */

export interface LogLine {
  at: string;
  line: string;
}

export class LogStore {
  private readonly byPod = new Map<string, Map<string, LogLine[]>>();

  append(podUid: string, container: string, line: string): void {
    let containers = this.byPod.get(podUid);
    if (!containers) {
      containers = new Map();
      this.byPod.set(podUid, containers);
    }
    let lines = containers.get(container);
    if (!lines) {
      lines = [];
      containers.set(container, lines);
    }
    lines.push({ at: new Date().toISOString(), line });
  }

  read(podUid: string, container: string): readonly LogLine[] {
    return this.byPod.get(podUid)?.get(container) ?? [];
  }

  /** Logs go with the pod, as they do when the kubelet removes a deleted pod's containers. */
  drop(podUid: string): void {
    this.byPod.delete(podUid);
  }
}
