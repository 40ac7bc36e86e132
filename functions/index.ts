// Entry of the Functions app (package.json `main` after the build): registers every function.
import './api.ts';
import './fenceWorker.ts';
import './sweeper.ts';
import './readiness.ts';
import './notifications.ts';
import './ui.ts';
