/**
 * Deterministic generator of synthetic enterprise-support events and knowledge-base documents. One seed gives
 * the same data on every machine; `sluice produce --generate N`, the KB generator and model training use it.
 */
import {
  ANGRY,
  CATEGORIES,
  CATEGORY_PHRASES,
  type Category,
  type Decision,
  EVENT_TYPES,
  FILLER,
  KB_TITLES,
  PRODUCT_AREAS,
  TIERS,
  type Tier,
} from "./synthetic-vocabulary.ts";

export { CATEGORIES, type Category, DECISIONS, type Decision, TIERS, type Tier } from "./synthetic-vocabulary.ts";

/** An `EnterpriseEvent` as `schemas/enterprise-event.avsc` declares it. */
export interface EnterpriseEvent {
  event_id: string;
  tenant_id: string;
  event_type: string;
  customer_id: string;
  customer_tier: Tier;
  text: string;
  amount: number | null;
  currency: string;
  prior_tickets: number;
  sentiment: number;
  account_age_days: number;
  event_time: number;
  embedding: number[] | null;
}

/** An event with the ground truth the generator used; only training and evaluation read the truth. */
export interface LabelledEvent {
  event: EnterpriseEvent;
  category: Category;
  decision: Decision;
}

export interface KnowledgeBaseDoc {
  doc_id: string;
  tenant_id: string;
  category: Category;
  title: string;
  text: string;
}

export interface GenerateOptions {
  /** Number of tenants; their traffic is Zipf-distributed. @default 40 */
  tenants?: number;
  /** Zipf exponent of tenant traffic. @default 1.1 */
  zipfExponent?: number;
  /** Probability that a character-level typo is applied to each word. @default 0.04 */
  typoRate?: number;
  /** Probability that a text mixes in a phrase from a second category. @default 0.12 */
  mixRate?: number;
  /** Probability that the ground-truth decision is replaced by a random one. @default 0.03 */
  labelNoise?: number;
  /** Event time of the first event, epoch ms. @default 1735689600000 (2025-01-01T00:00:00Z) */
  startTime?: number;
}

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Returns floats in [0, 1). */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

function zipfSampler(rng: () => number, n: number, s: number): () => number {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    cdf.push(acc);
  }
  return () => {
    const u = rng();
    const i = cdf.findIndex((c) => u < c);
    return i < 0 ? n - 1 : i;
  };
}

export const tenantId = (i: number): string => `tenant-${String(i + 1).padStart(3, "0")}`;

/** Applies one keyboard-style typo (swap, drop or double a letter) to a word. */
function typo(rng: () => number, word: string): string {
  if (word.length < 4) return word;
  const i = 1 + Math.floor(rng() * (word.length - 2));
  const kind = rng();
  if (kind < 0.4) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  if (kind < 0.7) return word.slice(0, i) + word.slice(i + 1);
  return word.slice(0, i) + word[i] + word.slice(i);
}

function noisy(rng: () => number, text: string, typoRate: number): string {
  return text
    .split(" ")
    .map((w) => (rng() < typoRate ? typo(rng, w) : w))
    .join(" ");
}

const CATEGORY_MIX: Record<Category, number> = {
  billing: 0.22,
  outage: 0.14,
  security_fraud: 0.1,
  sales_lead: 0.12,
  how_to: 0.24,
  account: 0.18,
};

function sampleCategory(rng: () => number): Category {
  let u = rng();
  for (const c of CATEGORIES) {
    u -= CATEGORY_MIX[c];
    if (u < 0) return c;
  }
  return "account";
}

/** The policy the classifier has to learn: category first, then money, tier, history and mood. */
export function groundTruthDecision(category: Category, e: EnterpriseEvent): Decision {
  switch (category) {
    case "security_fraud":
      return "flag_fraud";
    case "sales_lead":
      return e.customer_tier === "enterprise" && e.sentiment < -0.5 ? "escalate_to_human" : "route_to_sales";
    case "outage":
      return e.customer_tier === "business" || e.customer_tier === "enterprise" || e.sentiment < -0.4
        ? "escalate_to_human"
        : "auto_resolve";
    case "billing":
      return (e.amount ?? 0) > 500 || e.sentiment < -0.6 ? "escalate_to_human" : "auto_resolve";
    default:
      return e.prior_tickets >= 6 || e.sentiment < -0.7 ? "escalate_to_human" : "auto_resolve";
  }
}

function composeText(rng: () => number, category: Category, angry: boolean, o: Required<GenerateOptions>): string {
  const parts = [pick(rng, FILLER)];
  const phrases = 1 + Math.floor(rng() * 3);
  for (let i = 0; i < phrases; i++) parts.push(pick(rng, CATEGORY_PHRASES[category]));
  if (rng() < o.mixRate) parts.push(pick(rng, CATEGORY_PHRASES[pick(rng, CATEGORIES)]));
  if (angry) parts.push(pick(rng, ANGRY));
  if (rng() < 0.5) parts.push(pick(rng, FILLER));
  if (rng() < 0.3) parts.push(`on the ${pick(rng, PRODUCT_AREAS)}`);
  return noisy(rng, parts.join(" "), o.typoRate);
}

function withDefaults(options: GenerateOptions): Required<GenerateOptions> {
  return {
    tenants: options.tenants ?? 40,
    zipfExponent: options.zipfExponent ?? 1.1,
    typoRate: options.typoRate ?? 0.04,
    mixRate: options.mixRate ?? 0.12,
    labelNoise: options.labelNoise ?? 0.03,
    startTime: options.startTime ?? Date.UTC(2025, 0, 1),
  };
}

/** `n` events with their ground truth, deterministic for a given seed and options. */
export function generateLabelledEvents(n: number, seed: number, options: GenerateOptions = {}): LabelledEvent[] {
  const o = withDefaults(options);
  const rng = createRng(seed);
  const tenant = zipfSampler(rng, o.tenants, o.zipfExponent);
  const out: LabelledEvent[] = [];
  let time = o.startTime;
  for (let i = 0; i < n; i++) {
    const category = sampleCategory(rng);
    const tier = pick(rng, TIERS);
    const sentiment = Math.max(-1, Math.min(1, (rng() + rng() + rng()) / 1.5 - 1 - (category === "outage" ? 0.3 : 0)));
    const angry = sentiment < -0.6 && rng() < 0.7;
    const moneyish = category === "billing" || category === "security_fraud" || category === "sales_lead";
    const amount = moneyish ? Math.round(Math.exp(2 + rng() * 6 + (tier === "enterprise" ? 1 : 0))) : null;
    time += Math.floor(rng() * 400);
    const t = tenant();
    const event: EnterpriseEvent = {
      event_id: `evt-${seed}-${String(i).padStart(7, "0")}`,
      tenant_id: tenantId(t),
      event_type: pick(rng, EVENT_TYPES),
      customer_id: `cust-${t + 1}-${Math.floor(rng() * 500)}`,
      customer_tier: tier,
      text: composeText(rng, category, angry, o),
      amount,
      currency: "USD",
      prior_tickets: Math.floor(-Math.log(1 - rng()) * 2.5),
      sentiment: Math.round(sentiment * 1000) / 1000,
      account_age_days: Math.floor(rng() * 2000),
      event_time: time,
      embedding: null,
    };
    let decision = groundTruthDecision(category, event);
    if (rng() < o.labelNoise)
      decision = pick(rng, ["auto_resolve", "escalate_to_human", "route_to_sales", "flag_fraud"]);
    out.push({ event, category, decision });
  }
  return out;
}

/** `n` events as a producer sends them (no ground truth). */
export function generateEvents(n: number, seed: number, options: GenerateOptions = {}): EnterpriseEvent[] {
  return generateLabelledEvents(n, seed, options).map((e) => e.event);
}

export interface KnowledgeBaseOptions {
  /** Tenants that get documents. @default 40 */
  tenants?: number;
  /** Documents per tenant and category. @default 12 */
  docsPerCategory?: number;
}

/** A knowledge base: for every tenant and category, articles written in the category's vocabulary. */
export function generateKnowledgeBase(seed: number, options: KnowledgeBaseOptions = {}): KnowledgeBaseDoc[] {
  const rng = createRng(seed ^ 0x5eed);
  const tenants = options.tenants ?? 40;
  const perCategory = options.docsPerCategory ?? 12;
  const docs: KnowledgeBaseDoc[] = [];
  for (let t = 0; t < tenants; t++) {
    for (const category of CATEGORIES) {
      for (let d = 0; d < perCategory; d++) {
        const title = `${pick(rng, KB_TITLES[category])} (${pick(rng, PRODUCT_AREAS)})`;
        const body = Array.from({ length: 3 + Math.floor(rng() * 3) }, () => pick(rng, CATEGORY_PHRASES[category]));
        docs.push({
          doc_id: `kb-${tenantId(t)}-${category}-${String(d).padStart(3, "0")}`,
          tenant_id: tenantId(t),
          category,
          title,
          text: `${title.toLowerCase()}: if ${body.join(", or ")} then follow these steps.`,
        });
      }
    }
  }
  return docs;
}
