// The container status and what each status allows: every lifecycle command asks here first.
export enum Status {
  Creating = 'creating',
  Created = 'created',
  Running = 'running',
  Paused = 'paused',
  Stopped = 'stopped',
}

export const canStart = (s: Status) => s === Status.Created;
export const canKill = (s: Status) => s === Status.Created || s === Status.Running || s === Status.Paused;
export const canDelete = (s: Status) => s === Status.Stopped || s === Status.Created;
export const canPause = (s: Status) => s === Status.Running;
export const canResume = (s: Status) => s === Status.Paused;
