import { Injectable } from '@nestjs/common';

/** Set when the process has been told to stop: readiness fails so balancers stop routing here. */
@Injectable()
export class ShutdownState {
  draining = false;
}
