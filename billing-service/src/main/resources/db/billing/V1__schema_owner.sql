COMMENT ON SCHEMA billing IS 'Owned by billing-service: credits ledger, accounts, Stripe checkout sessions and webhook events.';
