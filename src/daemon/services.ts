import type { DaemonContext } from '../context.js';
import type { Service } from '../lanes/types.js';
import { createTranslationService } from '../translate/service.js';
import { createAnalysisService } from '../analysis/service.js';
import { createReportService } from '../report/service.js';
import { testServices } from './test-services.js';

/**
 * The services the daemon runs job rows with; one line per service. VOC_TEST_SERVICES adds test-only services
 * (see test-services.ts) and is never set in production.
 */
export function defaultServices(ctx: DaemonContext): Service[] {
  return [
    createTranslationService(ctx),
    createAnalysisService(ctx),
    createReportService(ctx),
    ...testServices(ctx, process.env.VOC_TEST_SERVICES),
  ];
}
