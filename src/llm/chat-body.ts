import type OpenAI from 'openai';
import type { LlmRequest } from './types.js';

/** The chat completion body of a request: the same for a realtime call and a Batch API line. */
export function chatBody(req: LlmRequest, model: string): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  return {
    model,
    messages: req.messages,
    ...(req.json ? { response_format: { type: 'json_object' as const } } : {}),
    ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
  };
}
