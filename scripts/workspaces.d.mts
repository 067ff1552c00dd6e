/** Types of scripts/workspaces.mjs, for the TypeScript tests that import it. */
export declare const ROOT: string;

export interface WorkspacePackage {
  readonly name: string;
  /** Relative to the repository root, e.g. `packages/core`. */
  readonly dir: string;
  readonly path: string;
  readonly pkg: Record<string, unknown>;
}

export declare function workspacePackages(root?: string): WorkspacePackage[];
export declare function publishablePackages(root?: string): WorkspacePackage[];
export declare function packPackages(
  names: readonly string[],
  destination: string,
  options?: { ignoreScripts?: boolean; root?: string },
): Map<string, string>;
