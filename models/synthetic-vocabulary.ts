/**
 * Vocabulary of the synthetic enterprise-support world: per-category phrases, shared filler and knowledge-base
 * titles. Kept apart from the generator so the words can grow without touching the sampling logic.
 */

export const CATEGORIES = ["billing", "outage", "security_fraud", "sales_lead", "how_to", "account"] as const;
export type Category = (typeof CATEGORIES)[number];

export const DECISIONS = ["auto_resolve", "escalate_to_human", "route_to_sales", "flag_fraud"] as const;
export type Decision = (typeof DECISIONS)[number];

export const TIERS = ["free", "pro", "business", "enterprise"] as const;
export type Tier = (typeof TIERS)[number];

export const EVENT_TYPES = ["support_ticket", "chat_message", "email", "form_submission"] as const;

/** Phrases that mark a category; a text draws 2–4 of them plus filler. */
export const CATEGORY_PHRASES: Record<Category, readonly string[]> = {
  billing: [
    "i was charged twice this month",
    "the invoice total looks wrong",
    "please refund the duplicate payment",
    "my credit card payment failed",
    "why did the subscription price go up",
    "the proration on my plan change is incorrect",
    "need a copy of the receipt for accounting",
    "vat number missing on invoice",
    "billing cycle renewal charged early",
    "can you cancel the pending charge",
  ],
  outage: [
    "the dashboard is down for everyone",
    "api returns 500 errors since this morning",
    "requests time out after thirty seconds",
    "service unavailable when we deploy",
    "latency spiked and jobs are failing",
    "webhooks stopped being delivered",
    "sync has been stuck for hours",
    "the status page says operational but nothing loads",
    "error 503 on every login attempt",
    "our production pipeline is blocked",
  ],
  security_fraud: [
    "suspicious login from an unknown country",
    "someone made purchases i did not authorize",
    "possible account takeover on our admin user",
    "we received a phishing email using your brand",
    "a chargeback was filed for a stolen card",
    "api key leaked in a public repository",
    "unrecognized device added to my account",
    "many small transactions in a few minutes",
    "password reset i never requested",
    "card testing attack on our checkout",
  ],
  sales_lead: [
    "we want to upgrade to the enterprise plan",
    "can we get a quote for 500 seats",
    "interested in a volume discount",
    "please schedule a demo for our team",
    "what does pricing look like for annual billing",
    "looking to expand to three more departments",
    "do you offer single sign on on the business tier",
    "our procurement team needs a proposal",
    "evaluating you against a competitor this quarter",
    "need more api quota for a new product launch",
  ],
  how_to: [
    "how do i export my data to csv",
    "how can i configure the webhook endpoint",
    "where is the documentation for the rest api",
    "how to integrate with our crm",
    "is there a way to schedule reports",
    "how do i set up custom fields",
    "what is the limit for file uploads",
    "can i filter the dashboard by region",
    "how to connect a slack channel for alerts",
    "steps to migrate from the old importer",
  ],
  account: [
    "i need to reset my password",
    "please change the email on my account",
    "how do i add a new user to the workspace",
    "delete my account and all personal data",
    "two factor authentication code not arriving",
    "transfer ownership to my colleague",
    "rename our organization",
    "remove a former employee from the team",
    "update the billing contact person",
    "my account is locked after too many attempts",
  ],
};

/** Words any ticket may contain; they carry no category signal. */
export const FILLER = [
  "hello",
  "hi team",
  "thanks in advance",
  "please help",
  "as soon as possible",
  "this is urgent",
  "regards",
  "our team",
  "since yesterday",
  "again",
  "not sure what happened",
  "ticket reference attached",
  "we are a long time customer",
  "following up",
  "kind of frustrating",
  "appreciate it",
];

/** Negative words raise the sentiment signal's intensity when present. */
export const ANGRY = ["this is unacceptable", "extremely frustrated", "we will cancel", "third time asking"];

/** Knowledge-base article title stems per category; combined with a product area to make titles. */
export const KB_TITLES: Record<Category, readonly string[]> = {
  billing: ["Understanding your invoice", "Refund policy", "Failed payments", "Changing plans and proration"],
  outage: ["Troubleshooting 5xx errors", "Webhook delivery delays", "Checking service status", "Timeouts and retries"],
  security_fraud: [
    "Reporting unauthorized access",
    "Chargebacks and disputes",
    "Rotating leaked API keys",
    "Fraud signals",
  ],
  sales_lead: ["Enterprise plan overview", "Volume pricing", "Requesting a demo", "Single sign-on availability"],
  how_to: ["Exporting data", "Configuring webhooks", "CRM integration guide", "Scheduling reports"],
  account: ["Resetting your password", "Managing users", "Two-factor authentication", "Deleting an account"],
};

export const PRODUCT_AREAS = ["dashboard", "api", "mobile app", "reports", "integrations", "admin console"];
