using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Storebridge.Contracts.Catalog.V1;
using Storebridge.Contracts.Common.V1;
using Storebridge.Contracts.Erp.V1;
using Storebridge.Contracts.Finance.V1;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Contracts.Orders.V1;

namespace Storebridge.Erp.ErpNext;

/// <summary>
/// <see cref="IErpSystem"/> over ERPNext's Frappe REST API. Writes: look up by external reference, create as a
/// draft, submit; a transient failure anywhere in that sequence restarts it from the lookup, so a create whose
/// response was lost is found instead of duplicated.
/// </summary>
internal sealed class ErpNextSystem : IErpSystem
{
    private const string SalesOrderType = "Sales Order";
    private const string DeliveryNoteType = "Delivery Note";
    private const string SalesInvoiceType = "Sales Invoice";
    private const string PaymentEntryType = "Payment Entry";
    private const string ItemType = "Item";
    private const string ItemPriceType = "Item Price";
    private const string BinType = "Bin";
    private const string CustomerType = "Customer";

    // The external reference lives in po_no (the customer's purchase order number) on orders and invoices,
    // and in reference_no on payments: standard fields, so no custom field needs installing. See ADR 0041.
    private const string OrderRefField = "po_no";
    private const string PaymentRefField = "reference_no";

    private static readonly string[] BinFields = ["name", "item_code", "warehouse", "actual_qty", "reserved_qty", "projected_qty", "modified"];

    private readonly FrappeClient _client;
    private readonly ErpNextOptions _options;
    private readonly ErpNextLog _log;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _createPipeline;

    public ErpNextSystem(FrappeClient client, IOptions<ErpNextOptions> options, ErpNextLog log, TimeProvider time)
    {
        _client = client;
        _options = options.Value;
        _log = log;
        _time = time;
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = time };
        if (_options.CreateAttempts > 1)
        {
            pipeline.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.CreateAttempts - 1,
                Delay = _options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<ErpException>(e => e.IsTransient),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is ErpException { RetryAfter: { } after } ? after : (TimeSpan?)null),
            });
        }

        _createPipeline = pipeline.Build();
    }

    private int PageSize => _options.PageSize;

    public async Task PingAsync(CancellationToken cancellationToken = default) =>
        _ = await _client.CallAsync("frappe.auth.get_logged_user", cancellationToken);

    // ---- catalog -------------------------------------------------------------------------------------------

    public async Task<ErpChanges<Item>> GetItemChangesAsync(string? cursor, int maxItems = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        var parents = new List<string>();
        var (_, next, hasMore) = await ScanAsync(ItemType, ["name", "variant_of", "modified"], [], ChangeCursor.Parse(cursor, nameof(cursor)), row =>
        {
            // A changed variant republishes its template with all variants.
            var parent = row["variant_of"]?.ToString() is { Length: > 0 } p ? p : row["name"]!.ToString();
            if (parents.Contains(parent))
            {
                return Scan.Skip;
            }

            if (parents.Count == maxItems)
            {
                return Scan.Stop;
            }

            parents.Add(parent);
            return Scan.Take;
        }, cancellationToken);

        var items = new List<Item>(parents.Count);
        foreach (var parent in parents)
        {
            if (await LoadItemAsync(parent, cancellationToken) is { } item)
            {
                items.Add(item);
            }
        }

        return new ErpChanges<Item>(items, next.ToString(), hasMore);
    }

    public async Task<Item?> GetItemAsync(string sku, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sku);
        var doc = await _client.GetAsync(ItemType, sku, cancellationToken);
        if (doc is null)
        {
            return null;
        }

        return doc.Str("variant_of") is { Length: > 0 } parent ? await LoadItemAsync(parent, cancellationToken) : await LoadItemAsync(doc, cancellationToken);
    }

    private async Task<Item?> LoadItemAsync(string code, CancellationToken ct) =>
        await _client.GetAsync(ItemType, code, ct) is { } doc ? await LoadItemAsync(doc, ct) : null;

    private async Task<Item> LoadItemAsync(JsonObject doc, CancellationToken ct)
    {
        var code = doc.Str("name");
        var item = new Item
        {
            Sku = code,
            Name = doc.Str("item_name"),
            Description = doc.Str("description"),
            ItemGroup = doc.Str("item_group"),
            StockUom = doc.Str("stock_uom"),
            HasVariants = doc.Flag("has_variants"),
            Disabled = doc.Flag("disabled"),
            IsStockItem = doc.Flag("is_stock_item"),
            TaxClass = TaxClass(doc),
            ModifiedAt = Timestamp.FromDateTimeOffset(ParseStamp(doc.Str("modified"))),
        };

        var variants = new List<Variant>();
        if (item.HasVariants)
        {
            var filters = new JsonArray(Filter("variant_of", "=", code));
            await foreach (var row in _client.ListAllAsync(ItemType, ["name"], filters, "name asc", PageSize, ct))
            {
                if (await _client.GetAsync(ItemType, row.Str("name"), ct) is not { } variantDoc)
                {
                    continue;
                }

                var variant = new Variant { Sku = variantDoc.Str("name"), ParentSku = code, Disabled = variantDoc.Flag("disabled") };
                foreach (var attribute in variantDoc.Rows("attributes"))
                {
                    variant.Attributes[attribute.Str("attribute")] = attribute.Str("attribute_value");
                }

                variants.Add(variant);
            }
        }

        var skus = variants.Count > 0 ? variants.Select(v => v.Sku).ToList() : [code];
        var prices = await ListPricesAsync(skus, priceList: null, ct);
        if (variants.Count > 0)
        {
            foreach (var variant in variants)
            {
                variant.Prices.AddRange(prices.Where(p => p.Sku == variant.Sku));
            }

            item.Variants.AddRange(variants);
        }
        else
        {
            item.Prices.AddRange(prices);
        }

        return item;
    }

    public async Task<IReadOnlyList<Price>> GetPricesAsync(PriceQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(query.PriceList);
        var prices = await ListPricesAsync(query.Skus?.ToList(), query.PriceList, cancellationToken);
        var on = query.On;
        return
        [
            .. prices
                .Where(p => p.CustomerId.Length == 0 || p.CustomerId == query.CustomerId)
                .Where(p => on is null || ((p.ValidFrom is null || DateOnly.FromDateTime(p.ValidFrom.ToDateTime()) <= on) && (p.ValidUntil is null || DateOnly.FromDateTime(p.ValidUntil.ToDateTime()) >= on)))
                .GroupBy(p => p.Sku)
                .Select(g => g.FirstOrDefault(p => p.CustomerId.Length > 0) ?? g.First()),
        ];
    }

    private async Task<List<Price>> ListPricesAsync(List<string>? skus, string? priceList, CancellationToken ct)
    {
        var prices = new List<Price>();
        string[] fields = ["name", "item_code", "price_list", "price_list_rate", "currency", "customer", "valid_from", "valid_upto"];
        var chunks = skus is null ? new List<List<string>?> { null } : skus.Chunk(100).Select(c => (List<string>?)c.ToList()).ToList();
        foreach (var chunk in chunks)
        {
            var filters = new JsonArray();
            if (chunk is not null)
            {
                filters.Add(Filter("item_code", "in", new JsonArray([.. chunk.Select(s => JsonValue.Create(s))])));
            }

            if (priceList is not null)
            {
                filters.Add(Filter("price_list", "=", priceList));
            }

            filters.Add(Filter("selling", "=", 1));
            await foreach (var row in _client.ListAllAsync(ItemPriceType, fields, filters, "item_code asc, name asc", PageSize, ct))
            {
                var price = new Price
                {
                    Sku = row.Str("item_code"),
                    PriceList = row.Str("price_list"),
                    Price_ = ErpTypes.Money(row.Dec("price_list_rate"), row.Str("currency")),
                    CustomerId = row.Str("customer"),
                };
                if (ParseDate(row.Str("valid_from")) is { } from)
                {
                    price.ValidFrom = Timestamp.FromDateTime(from.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
                }

                if (ParseDate(row.Str("valid_upto")) is { } until)
                {
                    price.ValidUntil = Timestamp.FromDateTime(until.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
                }

                prices.Add(price);
            }
        }

        return prices;
    }

    private static string TaxClass(JsonObject item)
    {
        var template = item.Rows("taxes").Select(t => t.Str("item_tax_template")).FirstOrDefault(t => t.Length > 0) ?? "";
        var dash = template.LastIndexOf(" - ", StringComparison.Ordinal);
        var title = dash > 0 ? template[..dash] : template;
        return title.Length == 0 ? "standard" : title.Trim().ToLowerInvariant().Replace(' ', '-');
    }

    // ---- stock -------------------------------------------------------------------------------------------

    public async Task<ErpChanges<StockLevel>> GetStockChangesAsync(string? cursor, int maxLevels = 500, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLevels, 1);
        var taken = 0;
        var (rows, next, hasMore) = await ScanAsync(BinType, BinFields, [], ChangeCursor.Parse(cursor, nameof(cursor)),
            _ => taken++ < maxLevels ? Scan.Take : Scan.Stop, cancellationToken);
        return new ErpChanges<StockLevel>([.. rows.Select(ToStockLevel)], next.ToString(), hasMore);
    }

    public async Task<IReadOnlyList<StockLevel>> GetStockLevelsAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(skus);
        var levels = new List<StockLevel>();
        foreach (var chunk in skus.Distinct().Chunk(100))
        {
            var filters = new JsonArray(Filter("item_code", "in", new JsonArray([.. chunk.Select(s => JsonValue.Create(s))])));
            await foreach (var row in _client.ListAllAsync(BinType, BinFields, filters, "item_code asc, warehouse asc", PageSize, cancellationToken))
            {
                levels.Add(ToStockLevel(row));
            }
        }

        return levels;
    }

    private static StockLevel ToStockLevel(JsonObject bin)
    {
        var onHand = (long)Math.Floor(bin.Dec("actual_qty"));
        var reserved = (long)Math.Ceiling(bin.Dec("reserved_qty"));
        return new StockLevel
        {
            Sku = bin.Str("item_code"),
            WarehouseId = bin.Str("warehouse"),
            OnHand = onHand,
            ErpReserved = reserved,
            Available = Math.Max(0, onHand - reserved),
            AsOf = Timestamp.FromDateTimeOffset(ParseStamp(bin.Str("modified"))),
        };
    }

    // ---- customers -----------------------------------------------------------------------------------------

    public async Task<CustomerAccount?> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(customerId);
        var doc = await _client.GetAsync(CustomerType, customerId, cancellationToken);
        if (doc is null)
        {
            return null;
        }

        var currency = doc.Str("default_currency");
        var business = doc.Str("customer_type") == "Company";
        var customer = new Customer
        {
            ErpCustomerId = doc.Str("name"),
            Kind = business ? CustomerKind.Business : CustomerKind.Consumer,
            Email = doc.Str("email_id"),
            DisplayName = doc.Str("customer_name"),
            Company = business ? doc.Str("customer_name") : "",
            TaxId = doc.Str("tax_id"),
            TaxExempt = doc.Str("tax_category").Contains("exempt", StringComparison.OrdinalIgnoreCase),
            CustomerGroup = doc.Str("customer_group"),
            PriceList = doc.Str("default_price_list"),
        };

        var limit = doc.Rows("credit_limits").FirstOrDefault(l => _options.Company.Length == 0 || l.Str("company") == _options.Company);
        if (limit is null || limit.Dec("credit_limit") <= 0m)
        {
            return new CustomerAccount(customer, null);
        }

        customer.CreditLimit = ErpTypes.Money(limit.Dec("credit_limit"), currency);
        var exposure = await ExposureAsync(customerId, cancellationToken);
        return new CustomerAccount(customer, new CreditStatus(limit.Dec("credit_limit"), exposure, currency, limit.Flag("bypass_credit_limit_check")));
    }

    /// <summary>What ERPNext's credit check adds up: unpaid submitted invoices plus the unbilled part of open submitted orders.</summary>
    private async Task<decimal> ExposureAsync(string customerId, CancellationToken ct)
    {
        var total = 0m;
        var invoiceFilters = new JsonArray(Filter("customer", "=", customerId), Filter("docstatus", "=", 1), Filter("outstanding_amount", "!=", 0));
        await foreach (var row in _client.ListAllAsync(SalesInvoiceType, ["name", "outstanding_amount"], invoiceFilters, "name asc", PageSize, ct))
        {
            total += row.Dec("outstanding_amount");
        }

        var orderFilters = new JsonArray(
            Filter("customer", "=", customerId), Filter("docstatus", "=", 1), Filter("status", "not in", new JsonArray("Closed", "Completed")), Filter("per_billed", "<", 100));
        await foreach (var row in _client.ListAllAsync(SalesOrderType, ["name", "grand_total", "per_billed"], orderFilters, "name asc", PageSize, ct))
        {
            total += row.Dec("grand_total") * (100m - row.Dec("per_billed")) / 100m;
        }

        return Math.Round(total, 2, MidpointRounding.AwayFromZero);
    }

    // ---- sales orders --------------------------------------------------------------------------------------

    public async Task<ErpWriteResult<SalesOrder>> CreateSalesOrderAsync(SalesOrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ExternalRef);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.CustomerId);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.CurrencyCode);
        if (request.Lines is null || request.Lines.Count == 0)
        {
            throw new ArgumentException("A sales order needs at least one line.", nameof(request));
        }

        foreach (var line in request.Lines)
        {
            if (string.IsNullOrWhiteSpace(line.Sku) || string.IsNullOrWhiteSpace(line.WarehouseId) || line.Quantity <= 0 || line.UnitPrice < 0)
            {
                throw new ArgumentException($"Invalid line {line}: SKU and warehouse are required, quantity must be positive, price not negative.", nameof(request));
            }
        }

        var body = new JsonObject
        {
            ["customer"] = request.CustomerId,
            [OrderRefField] = request.ExternalRef,
            ["currency"] = request.CurrencyCode,
            ["delivery_date"] = Date(request.DeliveryDate),
            ["items"] = new JsonArray([.. request.Lines.Select(l => (JsonNode)Row(
                ("item_code", l.Sku), ("qty", l.Quantity), ("warehouse", l.WarehouseId), ("rate", l.UnitPrice), ("delivery_date", Date(request.DeliveryDate))))]),
            ["taxes"] = TaxRows(request.Taxes?.Select(t => (t.Description, t.Amount))),
        };
        if (request.OrderDate is { } orderDate)
        {
            body["transaction_date"] = Date(orderDate);
        }

        if (request.PriceList is { Length: > 0 } priceList)
        {
            body["selling_price_list"] = priceList;
        }

        var (doc, created) = await CreateIdempotentAsync(SalesOrderType, OrderRefField, request.ExternalRef, [], body, cancellationToken);
        return new ErpWriteResult<SalesOrder>(ToSalesOrder(doc), created);
    }

    public async Task<SalesOrder?> GetSalesOrderAsync(string salesOrderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(salesOrderId);
        return await _client.GetAsync(SalesOrderType, salesOrderId, cancellationToken) is { } doc ? ToSalesOrder(doc) : null;
    }

    public async Task<string?> FindCustomerIdByEmailAsync(string email, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        var filters = new JsonArray(Filter("email_id", "=", email.Trim()), Filter("disabled", "=", 0));
        var rows = await _client.ListAsync(CustomerType, ["name"], filters, "creation asc, name asc", 0, 1, cancellationToken);
        return rows.Count == 0 ? null : rows[0].Str("name");
    }

    public async Task<SalesOrder?> FindSalesOrderAsync(string externalRef, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(externalRef);
        return await FindByRefAsync(SalesOrderType, OrderRefField, externalRef, [], cancellationToken) is { } doc ? ToSalesOrder(doc) : null;
    }

    public async Task<SalesOrderCancelOutcome> CancelSalesOrderAsync(string salesOrderId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(salesOrderId);
        return await _createPipeline.ExecuteAsync(async ct =>
        {
            var doc = await _client.GetAsync(SalesOrderType, salesOrderId, ct);
            switch (doc?.Int("docstatus"))
            {
                case null:
                    return SalesOrderCancelOutcome.NotFound;
                case 0:
                    // ERPNext cannot cancel a draft; deleting it is the equivalent.
                    await _client.DeleteAsync(SalesOrderType, salesOrderId, ct);
                    return SalesOrderCancelOutcome.DraftDeleted;
                case 1:
                    await _client.CancelAsync(SalesOrderType, doc, ct);
                    return SalesOrderCancelOutcome.Cancelled;
                default:
                    return SalesOrderCancelOutcome.AlreadyCancelled;
            }
        }, cancellationToken);
    }

    private SalesOrder ToSalesOrder(JsonObject doc)
    {
        var currency = doc.Str("currency");
        var status = doc.Int("docstatus") switch
        {
            0 => SalesOrderStatus.Draft,
            2 => SalesOrderStatus.Cancelled,
            _ => doc.Str("status") switch
            {
                "To Bill" => SalesOrderStatus.ToBill,
                "To Deliver" => SalesOrderStatus.ToDeliver,
                "Completed" => SalesOrderStatus.Completed,
                "Closed" => SalesOrderStatus.Closed,
                "On Hold" => SalesOrderStatus.OnHold,
                "Cancelled" => SalesOrderStatus.Cancelled,
                _ => SalesOrderStatus.Open,
            },
        };
        return new SalesOrder(
            doc.Str("name"),
            doc.Str(OrderRefField),
            doc.Str("customer"),
            status,
            ErpTypes.Money(doc.Dec("grand_total"), currency),
            doc.Dec("per_delivered"),
            doc.Dec("per_billed"),
            [.. doc.Rows("items").Select(l => new SalesOrderLine(l.Str("name"), l.Str("item_code"), l.Dec("qty"), l.Dec("delivered_qty"), ErpTypes.Money(l.Dec("rate"), currency), l.Str("warehouse")))],
            ParseStamp(doc.Str("modified")));
    }

    // ---- shipments -----------------------------------------------------------------------------------------

    public async Task<ErpChanges<ShipmentCreated>> GetShipmentChangesAsync(string? cursor, int maxShipments = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShipments, 1);
        var taken = 0;
        var (rows, next, hasMore) = await ScanAsync(DeliveryNoteType, ["name", "modified"], [Filter("docstatus", "=", 1)], ChangeCursor.Parse(cursor, nameof(cursor)),
            _ => taken++ < maxShipments ? Scan.Take : Scan.Stop, cancellationToken);

        var shipments = new List<ShipmentCreated>(rows.Count);
        foreach (var row in rows)
        {
            if (await _client.GetAsync(DeliveryNoteType, row.Str("name"), cancellationToken) is not { } note || note.Int("docstatus") != 1)
            {
                continue;
            }

            var modified = Timestamp.FromDateTimeOffset(ParseStamp(note.Str("modified")));
            var shipment = new Shipment
            {
                ShipmentId = note.Str("name"),
                Carrier = note.Str("transporter_name"),
                TrackingNumber = note.Str("lr_no"),
                ShippedAt = modified,
            };
            shipment.Lines.AddRange(note.Rows("items").Select(l => new ShipmentLine
            {
                Sku = l.Str("item_code"),
                Quantity = (int)l.Dec("qty"),
                WarehouseId = l.Str("warehouse"),
            }));
            shipments.Add(new ShipmentCreated
            {
                OrderRef = note.Str(OrderRefField),
                ErpSalesOrderId = note.Rows("items").Select(l => l.Str("against_sales_order")).FirstOrDefault(s => s.Length > 0) ?? "",
                Shipment = shipment,
                OccurredAt = modified,
            });
        }

        return new ErpChanges<ShipmentCreated>(shipments, next.ToString(), hasMore);
    }

    // ---- finance -------------------------------------------------------------------------------------------

    public async Task<ErpWriteResult<Invoice>> PostInvoiceAsync(Invoice invoice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        RequireRef(invoice.ExternalRef, nameof(invoice));
        RequireLines(invoice.Lines, nameof(invoice));
        var customer = invoice.ErpCustomerId;
        if (customer.Length == 0 && invoice.ErpSalesOrderId.Length > 0)
        {
            customer = (await _client.GetAsync(SalesOrderType, invoice.ErpSalesOrderId, cancellationToken))?.Str("customer") ?? "";
        }

        if (customer.Length == 0)
        {
            throw new ArgumentException("An invoice needs the ERP customer id or the ERP sales order id.", nameof(invoice));
        }

        var body = new JsonObject
        {
            ["customer"] = customer,
            [OrderRefField] = invoice.ExternalRef,
            ["currency"] = invoice.CurrencyCode,
            ["is_return"] = 0,
            ["items"] = new JsonArray([.. invoice.Lines.Select(l => (JsonNode)Row(
                ("item_code", l.Sku), ("qty", l.Quantity), ("rate", Amount(l.UnitPrice)),
                ("sales_order", invoice.ErpSalesOrderId.Length > 0 ? invoice.ErpSalesOrderId : null)))]),
            ["taxes"] = TaxRows(invoice.Taxes.Select(t => (Label(t), Amount(t.Amount)))),
        };
        var (doc, created) = await CreateIdempotentAsync(SalesInvoiceType, OrderRefField, invoice.ExternalRef, [Filter("is_return", "=", 0)], body, cancellationToken);

        var posted = invoice.Clone();
        posted.InvoiceId = doc.Str("name");
        posted.ErpCustomerId = doc.Str("customer");
        posted.CurrencyCode = doc.Str("currency");
        posted.NetTotal = ErpTypes.Money(doc.Dec("net_total"), posted.CurrencyCode);
        posted.TaxTotal = ErpTypes.Money(doc.Dec("total_taxes_and_charges"), posted.CurrencyCode);
        posted.GrandTotal = ErpTypes.Money(doc.Dec("grand_total"), posted.CurrencyCode);
        posted.PostedAt = Timestamp.FromDateTimeOffset(ParseStamp(doc.Str("modified")));
        return new ErpWriteResult<Invoice>(posted, created);
    }

    public async Task<ErpWriteResult<Payment>> PostPaymentAsync(Payment payment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payment);
        RequireRef(payment.ExternalRef, nameof(payment));
        ArgumentException.ThrowIfNullOrWhiteSpace(payment.InvoiceId, nameof(payment));
        var amount = Amount(payment.Amount);
        if (amount <= 0m)
        {
            throw new ArgumentException("A payment amount must be positive.", nameof(payment));
        }

        var invoice = await _client.GetAsync(SalesInvoiceType, payment.InvoiceId, cancellationToken)
            ?? throw new ErpException(ErpErrorKind.NotFound, $"Invoice {payment.InvoiceId} does not exist in the ERP") { DocumentId = payment.InvoiceId };
        var body = new JsonObject
        {
            ["payment_type"] = "Receive",
            ["party_type"] = "Customer",
            ["party"] = invoice.Str("customer"),
            ["paid_amount"] = amount,
            ["received_amount"] = amount,
            [PaymentRefField] = payment.ExternalRef,
            ["reference_date"] = Date(DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime)),
            ["mode_of_payment"] = _options.ModesOfPayment.GetValueOrDefault(payment.Method, _options.DefaultModeOfPayment),
            ["remarks"] = payment.TransactionId.Length > 0 ? $"Gateway transaction {payment.TransactionId}" : null,
            ["references"] = new JsonArray(Row(
                ("reference_doctype", SalesInvoiceType), ("reference_name", payment.InvoiceId), ("allocated_amount", Math.Min(amount, Math.Max(0m, invoice.Dec("outstanding_amount")))))),
        };
        if (_options.PaymentAccount.Length > 0)
        {
            body["paid_to"] = _options.PaymentAccount;
        }

        var (doc, created) = await CreateIdempotentAsync(PaymentEntryType, PaymentRefField, payment.ExternalRef, [], body, cancellationToken);
        var posted = payment.Clone();
        posted.PaymentId = doc.Str("name");
        posted.ReceivedAt = Timestamp.FromDateTimeOffset(ParseStamp(doc.Str("modified")));
        return new ErpWriteResult<Payment>(posted, created);
    }

    public async Task<ErpWriteResult<CreditNote>> PostCreditNoteAsync(CreditNote creditNote, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(creditNote);
        RequireRef(creditNote.ExternalRef, nameof(creditNote));
        ArgumentException.ThrowIfNullOrWhiteSpace(creditNote.AgainstInvoiceId, nameof(creditNote));
        RequireLines(creditNote.Lines, nameof(creditNote));
        var original = await _client.GetAsync(SalesInvoiceType, creditNote.AgainstInvoiceId, cancellationToken)
            ?? throw new ErpException(ErpErrorKind.NotFound, $"Invoice {creditNote.AgainstInvoiceId} does not exist in the ERP") { DocumentId = creditNote.AgainstInvoiceId };

        // A credit note is a return invoice: negative quantities and taxes, pointing at the original.
        var body = new JsonObject
        {
            ["customer"] = original.Str("customer"),
            [OrderRefField] = creditNote.ExternalRef,
            ["currency"] = original.Str("currency"),
            ["is_return"] = 1,
            ["return_against"] = creditNote.AgainstInvoiceId,
            ["remarks"] = creditNote.Reason.Length > 0 ? creditNote.Reason : null,
            ["items"] = new JsonArray([.. creditNote.Lines.Select(l => (JsonNode)Row(("item_code", l.Sku), ("qty", -Math.Abs(l.Quantity)), ("rate", Amount(l.UnitPrice))))]),
            ["taxes"] = TaxRows(creditNote.Taxes.Select(t => (Label(t), -Math.Abs(Amount(t.Amount))))),
        };
        var (doc, created) = await CreateIdempotentAsync(SalesInvoiceType, OrderRefField, creditNote.ExternalRef, [Filter("is_return", "=", 1)], body, cancellationToken);

        var currency = doc.Str("currency");
        var posted = creditNote.Clone();
        posted.CreditNoteId = doc.Str("name");
        posted.NetTotal = ErpTypes.Money(Math.Abs(doc.Dec("net_total")), currency);
        posted.TaxTotal = ErpTypes.Money(Math.Abs(doc.Dec("total_taxes_and_charges")), currency);
        posted.GrandTotal = ErpTypes.Money(Math.Abs(doc.Dec("grand_total")), currency);
        posted.PostedAt = Timestamp.FromDateTimeOffset(ParseStamp(doc.Str("modified")));
        return new ErpWriteResult<CreditNote>(posted, created);
    }

    // ---- idempotent create ---------------------------------------------------------------------------------

    /// <summary>
    /// Look up by external reference; create a draft if none; submit a draft. Each attempt starts with the lookup,
    /// so retrying after a lost response finds the document instead of creating a second one.
    /// </summary>
    private async Task<(JsonObject Doc, bool Created)> CreateIdempotentAsync(
        string doctype, string refField, string externalRef, JsonNode[] extraFilters, JsonObject body, CancellationToken cancellationToken)
    {
        var created = false;
        var attempt = 0;
        var doc = await _createPipeline.ExecuteAsync(async ct =>
        {
            attempt++;
            try
            {
                var existing = await FindByRefAsync(doctype, refField, externalRef, extraFilters, ct);
                if (existing is null)
                {
                    existing = await _client.InsertAsync(doctype, body.DeepClone().AsObject(), ct);
                    created = true;
                    _log.Created(doctype, existing.Str("name"), externalRef);
                }
                else if (!created)
                {
                    _log.FoundExisting(doctype, externalRef, existing.Str("name"));
                }

                if (existing.Int("docstatus") == 0)
                {
                    try
                    {
                        existing = await _client.SubmitAsync(doctype, existing, ct);
                    }
                    catch (ErpException ex) when (!ex.IsTransient)
                    {
                        throw new ErpException(ex.Kind, ex.Message, ex.Messages, ex)
                        {
                            StatusCode = ex.StatusCode,
                            RemoteErrorType = ex.RemoteErrorType,
                            DocumentId = existing.Str("name"),
                        };
                    }
                }

                return existing;
            }
            catch (ErpException ex) when (ex.IsTransient)
            {
                _log.CreateRetry(doctype, externalRef, ex.Kind, attempt + 1);
                throw;
            }
        }, cancellationToken);
        return (doc, created);
    }

    /// <summary>The live (draft or submitted) document with an external reference, read in full.</summary>
    private async Task<JsonObject?> FindByRefAsync(string doctype, string refField, string externalRef, JsonNode[] extraFilters, CancellationToken ct)
    {
        var filters = new JsonArray(Filter(refField, "=", externalRef), Filter("docstatus", "!=", 2));
        foreach (var filter in extraFilters)
        {
            filters.Add(filter.DeepClone());
        }

        // Oldest first: if a race ever made two, every caller settles on the same one.
        var rows = await _client.ListAsync(doctype, ["name"], filters, "creation asc, name asc", 0, 2, ct);
        return rows.Count == 0 ? null : await _client.GetAsync(doctype, rows[0].Str("name"), ct);
    }

    // ---- change feed scanning ------------------------------------------------------------------------------

    private enum Scan
    {
        Take,
        Skip,
        Stop,
    }

    /// <summary>Rows changed after the cursor in (modified, name) order, page by page, until the decision says stop.</summary>
    private async Task<(List<JsonObject> Rows, ChangeCursor Next, bool HasMore)> ScanAsync(
        string doctype, string[] fields, JsonNode[] extraFilters, ChangeCursor cursor, Func<JsonObject, Scan> decide, CancellationToken ct)
    {
        var filters = new JsonArray([.. extraFilters.Select(f => f.DeepClone())]);
        if (!cursor.IsStart)
        {
            // >= and not >: rows sharing the cursor's timestamp are told apart by name below.
            filters.Add(Filter("modified", ">=", cursor.Modified));
        }

        var allFields = fields.Union(["name", "modified"]).ToArray();
        var taken = new List<JsonObject>();
        var next = cursor;
        for (var start = 0; ; start += PageSize)
        {
            var page = await _client.ListAsync(doctype, allFields, filters, "modified asc, name asc", start, PageSize, ct);
            foreach (var row in page)
            {
                var modified = row.Str("modified");
                var name = row.Str("name");
                if (!cursor.IsStart && cursor.Covers(modified, name))
                {
                    continue;
                }

                var decision = decide(row);
                if (decision == Scan.Stop)
                {
                    return (taken, next, true);
                }

                if (decision == Scan.Take)
                {
                    taken.Add(row);
                }

                next = new ChangeCursor(modified, name);
            }

            if (page.Count < PageSize)
            {
                return (taken, next, false);
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static JsonArray Filter(string field, string op, JsonNode? value) => new(field, op, value);

    private static JsonObject Row(params (string Key, object? Value)[] fields)
    {
        var row = new JsonObject();
        foreach (var (key, value) in fields)
        {
            if (value is not null)
            {
                row[key] = value switch
                {
                    string s => s,
                    int i => i,
                    decimal d => d,
                    _ => JsonValue.Create(value.ToString()),
                };
            }
        }

        return row;
    }

    private JsonArray TaxRows(IEnumerable<(string Description, decimal Amount)>? taxes) =>
        new([.. (taxes ?? []).Where(t => t.Amount != 0m).Select(t => (JsonNode)Row(
            ("charge_type", "Actual"), ("account_head", _options.TaxAccount), ("description", t.Description), ("tax_amount", t.Amount)))]);

    private static string Label(TaxAmount tax) => tax.RatePercent.Length > 0 ? $"{tax.RateCode} ({tax.RatePercent}%)" : tax.RateCode;

    private static decimal Amount(Money? money) =>
        money is null || money.Amount.Length == 0 ? 0m
        : decimal.TryParse(money.Amount, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ArgumentException($"Not a decimal amount: '{money.Amount}'.", nameof(money));

    private static void RequireRef(string externalRef, string parameter)
    {
        if (string.IsNullOrWhiteSpace(externalRef))
        {
            throw new ArgumentException("An external reference is required: it is what makes the post idempotent.", parameter);
        }
    }

    private static void RequireLines(IReadOnlyCollection<InvoiceLine> lines, string parameter)
    {
        if (lines.Count == 0)
        {
            throw new ArgumentException("At least one line is required.", parameter);
        }

        if (lines.Any(l => string.IsNullOrWhiteSpace(l.Sku) || l.Quantity == 0))
        {
            throw new ArgumentException("Every line needs a SKU and a non-zero quantity.", parameter);
        }
    }

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly? ParseDate(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

    /// <summary>Frappe timestamps are site-local without offset; the adapter assumes the site runs on UTC.</summary>
    private static DateTimeOffset ParseStamp(string text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value)
            ? new DateTimeOffset(value, TimeSpan.Zero)
            : DateTimeOffset.UnixEpoch;
}
