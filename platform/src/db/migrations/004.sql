-- A server credential made by a developing ISV's member records that ISV:
-- it exchanges auth codes only while the merchant's authorization of that
-- ISV stands, and revoking the authorization revokes it.
ALTER TABLE app_secrets ADD COLUMN isv_ws TEXT;
