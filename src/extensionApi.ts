import type { ClusterTreeProvider } from './explorer/clusterTreeProvider';
import type { Logger } from './shared/logger';

/** What the extension's activate() returns. The integration tests use it to read the tree the way the view does. */
export interface ExtensionApi {
  readonly clusterTree: ClusterTreeProvider;
  readonly logger: Logger;
}
