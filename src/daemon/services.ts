import type { DaemonContext } from '../context.js';
import type { Service } from '../lanes/types.js';
import { createTranslationService } from '../translate/service.js';
import { createAnalysisService } from '../analysis/service.js';
import { createReportService } from '../report/service.js';

/** The services the daemon runs job rows with; one line per service. */
export function defaultServices(ctx: DaemonContext): Service[] {
  return [createTranslationService(ctx), createAnalysisService(ctx), createReportService(ctx)];
}
