import { connect, LOCAL_SUPPORTS } from '@parajob/client';
import { describeClientConformance } from '@parajob/client/testing';

describeClientConformance('local engine', {
  connect: () => connect({ numCpus: 2 }),
  supports: LOCAL_SUPPORTS,
});
