import type { Participant } from '@palaver/video';

// Names shown on tiles and in the chat, from each participant's `context`.

interface ParticipantContext {
  name?: unknown;
  username?: unknown;
  phoneNumber?: unknown;
}

/** A participant's name from its `context`; phone numbers only by their last 4 digits. */
export function displayName(participant: Participant | undefined): string {
  if (participant === undefined) {
    return 'Someone';
  }
  let context: ParticipantContext = {};
  try {
    const parsed: unknown = JSON.parse(participant.context ?? '{}');
    if (typeof parsed === 'object' && parsed !== null) {
      context = parsed;
    }
  } catch {
    // A context that is not JSON is a plain name.
    context = { name: participant.context };
  }
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  if (participant.origin === 'telephony_engine') {
    const number = text(context.phoneNumber);
    const name = text(context.name) ?? text(context.username);
    if (name !== undefined && !looksLikeNumber(name)) {
      return number === undefined ? name : `${name} ${maskNumber(number)}`;
    }
    return maskNumber(number ?? name ?? '');
  }
  return text(context.name) ?? text(context.username) ?? 'Guest';
}

const looksLikeNumber = (value: string): boolean => /^\+?[\d\s().-]{5,}$/.test(value);

/** `+15551234567` → `•••4567`: enough to tell callers apart, not enough to call them. */
export function maskNumber(number: string): string {
  const digits = number.replace(/\D/g, '');
  return digits.length === 0 ? 'Phone caller' : `•••${digits.slice(-4)}`;
}

export function initialsOf(name: string): string {
  const words = name.split(/\s+/).filter((word) => word !== '');
  return words
    .slice(0, 2)
    .map((word) => [...word][0]?.toUpperCase() ?? '')
    .join('');
}
