// The floor package.json states (engines, devEngines: Vite 8's). npm enforces devEngines only from 10.9, and
// Node 20's own npm is older, so the local tools check it themselves before anything else fails obscurely.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19) || major === 21 || (major === 22 && minor < 12)) {
  console.error(`cto-dashboard-jobs needs Node.js 20.19+ or 22.12+, and this is Node.js ${process.versions.node}: upgrade Node.js`);
  process.exit(1);
}
// aws-local-stepfunctions 3 calls Promise.withResolvers (Node >= 22). Without it every Task fails on
// Node 20 with a TypeError that flows into Retry/Catch and looks like a real error.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((onResolve, onReject) => {
        resolve = onResolve;
        reject = onReject;
      });
      return { promise, resolve, reject };
    },
  });
}
// The AWS SDK warns on every process that Node 20 support ends in 2027; the local tools run on 20 by design.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
