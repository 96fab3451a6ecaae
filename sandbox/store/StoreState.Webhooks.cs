using Storebridge.WooCommerce.Models;

namespace Storebridge.Sandbox.Store;

/// <summary>Customers, webhooks and OAuth nonces.</summary>
internal sealed partial class StoreState
{
    private static readonly string[] Resources = ["order", "product", "customer", "coupon"];
    private static readonly string[] Events = ["created", "updated", "deleted", "restored"];
    private readonly Dictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);

    // ---------------- customers ----------------

    public List<WooCustomer> Customers(Func<WooCustomer, bool> filter)
    {
        lock (_gate)
        {
            return [.. _customers.Values.Where(filter).Select(Clone)];
        }
    }

    public WooCustomer Customer(long id)
    {
        lock (_gate)
        {
            return Clone(_customers.GetValueOrDefault(id) ?? throw ApiException.NotFound("woocommerce_rest_invalid_id"));
        }
    }

    /// <summary>The seed customer behind a store customer (the shopper uses it to pick B2B buyers).</summary>
    public IReadOnlyList<(long StoreId, Seed.SeedCustomer Seed)> SeedCustomers()
    {
        lock (_gate)
        {
            return [.. _seedCustomers.Select(p => (p.Key, p.Value))];
        }
    }

    public WooCustomer CreateCustomer(WooCustomer input)
    {
        WooCustomer created;
        lock (_gate)
        {
            if (string.IsNullOrWhiteSpace(input.Email) || !input.Email.Contains('@', StringComparison.Ordinal))
            {
                throw ApiException.BadRequest("customer_invalid_email", "Invalid email address.");
            }

            if (_customers.Values.Any(c => string.Equals(c.Email, input.Email, StringComparison.OrdinalIgnoreCase)))
            {
                throw ApiException.BadRequest("registration-error-email-exists", "An account is already registered with your email address.");
            }

            var customer = Clone(input);
            customer.Id = _nextCustomerId++;
            customer.Role ??= "customer";
            customer.Username ??= input.Email.Split('@')[0];
            customer.DateCreatedGmt = customer.DateModifiedGmt = Now;
            customer.MetaData ??= [];
            _customers[customer.Id.Value] = customer;
            created = Clone(customer);
        }

        Raise(("customer", "created", created.Id!.Value));
        return created;
    }

    public WooCustomer UpdateCustomer(long id, WooCustomer patch)
    {
        WooCustomer updated;
        lock (_gate)
        {
            var customer = _customers.GetValueOrDefault(id) ?? throw ApiException.NotFound("woocommerce_rest_invalid_id");
            customer.FirstName = patch.FirstName ?? customer.FirstName;
            customer.LastName = patch.LastName ?? customer.LastName;
            customer.Billing = patch.Billing ?? customer.Billing;
            customer.Shipping = patch.Shipping ?? customer.Shipping;
            customer.MetaData = MergeMeta(customer.MetaData, patch.MetaData);
            customer.DateModifiedGmt = Now;
            updated = Clone(customer);
        }

        Raise(("customer", "updated", id));
        return updated;
    }

    // ---------------- webhooks ----------------

    public List<WooWebhook> Webhooks(Func<WooWebhook, bool> filter)
    {
        lock (_gate)
        {
            return [.. _webhooks.Values.Select(w => w.ToWoo()).Where(filter)];
        }
    }

    public WooWebhook Webhook(long id)
    {
        lock (_gate)
        {
            return WebhookLocked(id).ToWoo();
        }
    }

    private WebhookRecord WebhookLocked(long id) =>
        _webhooks.GetValueOrDefault(id) ?? throw ApiException.NotFound("woocommerce_rest_webhook_invalid_id");

    /// <summary>Creates a webhook; returns whether a ping is due (active on creation).</summary>
    public (WooWebhook Webhook, bool Ping) CreateWebhook(WooWebhook input)
    {
        lock (_gate)
        {
            ValidateTopic(input.Topic);
            var url = ValidateUrl(input.DeliveryUrl);
            var status = ValidateStatus(input.Status ?? "active");
            var record = new WebhookRecord
            {
                Id = _nextWebhookId++,
                Name = input.Name ?? $"Webhook created on {Now:MMM dd, yyyy @ hh:mm tt}",
                Status = status,
                Topic = input.Topic!,
                DeliveryUrl = url,
                Secret = string.IsNullOrEmpty(input.Secret) ? _options.WebhookSecret : input.Secret,
                Created = Now,
                Modified = Now,
            };
            _webhooks[record.Id] = record;
            return (record.ToWoo(), status == "active");
        }
    }

    /// <summary>Updates a webhook; returns whether a ping is due (URL changed while active).</summary>
    public (WooWebhook Webhook, bool Ping) UpdateWebhook(long id, WooWebhook patch)
    {
        lock (_gate)
        {
            var record = WebhookLocked(id);
            var ping = false;
            if (patch.Topic is not null)
            {
                ValidateTopic(patch.Topic);
                record.Topic = patch.Topic;
            }

            if (patch.DeliveryUrl is not null && patch.DeliveryUrl != record.DeliveryUrl)
            {
                record.DeliveryUrl = ValidateUrl(patch.DeliveryUrl);
                ping = true;
            }

            if (patch.Status is not null)
            {
                var status = ValidateStatus(patch.Status);
                if (status == "active" && record.Status != "active")
                {
                    // Re-activation starts a fresh count; otherwise the next failure would disable it again.
                    record.FailureCount = 0;
                }

                record.Status = status;
            }

            record.Name = patch.Name ?? record.Name;
            record.Secret = string.IsNullOrEmpty(patch.Secret) ? record.Secret : patch.Secret;
            record.Modified = Now;
            return (record.ToWoo(), ping && record.Status == "active");
        }
    }

    public WooWebhook DeleteWebhook(long id)
    {
        lock (_gate)
        {
            var record = WebhookLocked(id);
            _webhooks.Remove(id);
            return record.ToWoo();
        }
    }

    /// <summary>Active webhooks subscribed to a topic.</summary>
    public List<long> Subscribers(string topic)
    {
        lock (_gate)
        {
            return [.. _webhooks.Values.Where(w => w.Status == "active" && w.Topic == topic).Select(w => w.Id)];
        }
    }

    /// <summary>What a delivery needs at send time, or null when the webhook is gone or no longer active.</summary>
    public (string Url, string Secret, string Topic)? DeliveryTarget(long webhookId, bool ping)
    {
        lock (_gate)
        {
            return _webhooks.TryGetValue(webhookId, out var w) && (w.Status == "active" || ping) ? (w.DeliveryUrl, w.Secret, w.Topic) : null;
        }
    }

    /// <summary>Counts a delivery's outcome as <c>WC_Webhook::log_delivery</c>/<c>failed_delivery</c> do: a success resets
    /// the failure count; a failure adds one, unless the count is already above the maximum, in which case the webhook
    /// is disabled (so with the default 5 the seventh consecutive failure disables it). Pings do not count.
    /// Returns the webhook's status afterwards.</summary>
    public string RecordDelivery(long webhookId, bool success, bool ping = false)
    {
        lock (_gate)
        {
            if (!_webhooks.TryGetValue(webhookId, out var w))
            {
                return "deleted";
            }

            if (ping)
            {
                return w.Status;
            }

            if (success)
            {
                w.FailureCount = 0;
            }
            else if (w.FailureCount > _options.MaxDeliveryFailures)
            {
                w.Status = "disabled";
            }
            else
            {
                w.FailureCount++;
            }

            w.Modified = Now;
            return w.Status;
        }
    }

    private static void ValidateTopic(string? topic)
    {
        var parts = topic?.Split('.') ?? [];
        var valid = parts.Length == 2 && (parts[0] == "action" ? parts[1].Length > 0 : Resources.Contains(parts[0]) && Events.Contains(parts[1]));
        if (!valid)
        {
            throw ApiException.BadRequest("rest_invalid_param", "Invalid parameter(s): topic");
        }
    }

    private static string ValidateUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.AbsoluteUri
            : throw ApiException.BadRequest("rest_invalid_param", "Invalid parameter(s): delivery_url");

    private static string ValidateStatus(string status) =>
        status is "active" or "paused" or "disabled" ? status : throw ApiException.BadRequest("rest_invalid_param", "Invalid parameter(s): status");

    // ---------------- OAuth nonces ----------------

    /// <summary>Records a nonce; false when it was used before (a replay).</summary>
    public bool UseNonce(string consumerKey, string nonce, DateTimeOffset timestamp)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var expired in _nonces.Where(p => p.Value < now.AddMinutes(-15)).Select(p => p.Key).ToList())
            {
                _nonces.Remove(expired);
            }

            return _nonces.TryAdd(consumerKey + ":" + nonce, timestamp);
        }
    }

    private sealed class WebhookRecord
    {
        public long Id { get; init; }

        public string Name { get; set; } = "";

        public string Status { get; set; } = "active";

        public string Topic { get; set; } = "";

        public string DeliveryUrl { get; set; } = "";

        public string Secret { get; set; } = "";

        public int FailureCount { get; set; }

        public DateTime Created { get; init; }

        public DateTime Modified { get; set; }

        public WooWebhook ToWoo() => new()
        {
            Id = Id,
            Name = Name,
            Status = Status,
            Topic = Topic,
            Resource = Topic.Split('.')[0],
            Event = Topic.Split('.')[^1],
            DeliveryUrl = DeliveryUrl,
            FailureCount = FailureCount,
            DateCreatedGmt = Created,
            DateModifiedGmt = Modified,
        };
    }
}
