using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Storebridge.Sandbox.Seed;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Sandbox.Store;

/// <summary>Orders, notes, refunds, checkout and stock reduction.</summary>
internal sealed partial class StoreState
{
    private static readonly Dictionary<string, string> StatusTitles = new(StringComparer.Ordinal)
    {
        ["pending"] = "Pending payment",
        ["processing"] = "Processing",
        ["on-hold"] = "On hold",
        ["completed"] = "Completed",
        ["cancelled"] = "Cancelled",
        ["refunded"] = "Refunded",
        ["failed"] = "Failed",
        ["checkout-draft"] = "Draft",
        ["trash"] = "Trash",
    };

    /// <summary>Coupons the store knows: code -> percent off.</summary>
    public static readonly IReadOnlyDictionary<string, decimal> Coupons = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase)
    {
        ["PROMO10"] = 10m,
        ["BLACKFRIDAY25"] = 25m,
    };

    public List<WooOrder> Orders(Func<WooOrder, bool> filter)
    {
        lock (_gate)
        {
            return [.. _orders.Values.Where(filter).Select(Clone)];
        }
    }

    public WooOrder Order(long id)
    {
        lock (_gate)
        {
            return Clone(OrderLocked(id));
        }
    }

    private WooOrder OrderLocked(long id) =>
        _orders.GetValueOrDefault(id) ?? throw ApiException.NotFound("woocommerce_rest_shop_order_invalid_id");

    /// <summary>The JSON a webhook of this resource carries now (or null when it is gone).</summary>
    public JsonElement? ResourceJson(string resource, long id)
    {
        lock (_gate)
        {
            object? value = resource switch
            {
                "order" => _orders.GetValueOrDefault(id),
                "product" => _products.GetValueOrDefault(id),
                "customer" => _customers.GetValueOrDefault(id),
                _ => null,
            };
            return value is null ? null : JsonSerializer.SerializeToElement(value, value.GetType(), WooJson.Options);
        }
    }

    // ---------------- checkout ----------------

    /// <summary>First half of a checkout: validate the cart against the stock as it is now, create the pending
    /// order. The stock is not touched yet: that happens when payment completes, like WooCommerce.</summary>
    public PendingCheckout BeginCheckout(CheckoutRequest request)
    {
        WooOrder order;
        List<(long ProductId, long? VariationId, int Quantity)> reductions = [];
        lock (_gate)
        {
            if (request.LineItems is not { Count: > 0 })
            {
                throw ApiException.BadRequest("woocommerce_cart_empty", "Cart is empty.");
            }

            SeedCustomer? seedCustomer = null;
            WooCustomer? customer = null;
            if (request.CustomerId is > 0)
            {
                customer = _customers.GetValueOrDefault(request.CustomerId.Value) ?? throw ApiException.BadRequest("woocommerce_rest_invalid_customer_id", "Customer ID is invalid.");
                seedCustomer = _seedCustomers.GetValueOrDefault(request.CustomerId.Value);
            }

            var billing = request.Billing ?? (customer?.Billing is null ? null : Clone(customer.Billing)) ?? throw ApiException.BadRequest("woocommerce_checkout_missing_billing", "Billing address is required.");
            if (string.IsNullOrWhiteSpace(billing.Email))
            {
                throw ApiException.BadRequest("woocommerce_checkout_missing_billing", "Billing Email address is a required field.");
            }

            var shipping = request.Shipping ?? (customer?.Shipping is null ? null : Clone(customer.Shipping)) ?? Clone(billing);
            shipping.Email = null;
            decimal couponPercent = 0;
            if (!string.IsNullOrEmpty(request.CouponCode) && !Coupons.TryGetValue(request.CouponCode, out couponPercent))
            {
                throw ApiException.BadRequest("woocommerce_coupon_invalid", $"Coupon \"{request.CouponCode}\" does not exist!");
            }

            var lines = new List<WooLineItem>();
            foreach (var requested in request.LineItems)
            {
                var (productId, variationId, name, sku, price, taxClass) = Resolve(requested, seedCustomer);
                if (requested.Quantity <= 0)
                {
                    throw ApiException.BadRequest("woocommerce_invalid_quantity", $"Quantity of \"{name}\" must be positive.");
                }

                // The stock check reads the stock as it is now; nothing holds it until payment completes.
                var (managed, stock, backorders) = StockOf(productId, variationId);
                if (managed && backorders == "no" && stock < requested.Quantity)
                {
                    throw new ApiException(409, "woocommerce_not_enough_stock",
                        $"Sorry, we do not have enough \"{name}\" in stock to fulfill your order ({Math.Max(0, stock)} available).");
                }

                var subtotal = Round(price * requested.Quantity);
                var total = Round(subtotal - Round(subtotal * couponPercent / 100m));
                lines.Add(new WooLineItem
                {
                    Id = _nextLineId++,
                    Name = name,
                    ProductId = productId,
                    VariationId = variationId ?? 0,
                    Quantity = requested.Quantity,
                    TaxClass = taxClass,
                    Subtotal = Money(subtotal),
                    Total = Money(total),
                    Sku = sku,
                    Price = price.ToString(CultureInfo.InvariantCulture),
                    MetaData = variationId is { } v ? [.. (_variations[v].Attributes ?? []).Select(a => WooMetaData.Of("pa_" + (a.Name ?? "").ToLowerInvariant(), a.Option ?? ""))] : [],
                });
                reductions.Add((productId, variationId, requested.Quantity));
            }

            var business = seedCustomer?.Kind == SeedCustomerKind.Business || !string.IsNullOrWhiteSpace(billing.Company);
            var exempt = seedCustomer?.TaxExempt == true;
            var meta = new List<WooMetaData>();
            var vat = customer?.MetaData?.FirstOrDefault(m => m.Key == "_billing_vat")?.StringValue;
            if (!string.IsNullOrEmpty(vat))
            {
                meta.Add(WooMetaData.Of("_billing_vat", vat));
            }

            if (!string.IsNullOrEmpty(request.PurchaseOrder))
            {
                meta.Add(WooMetaData.Of("_po_number", request.PurchaseOrder));
            }

            var id = _nextPostId++;
            var now = Now;
            order = new WooOrder
            {
                Id = id,
                ParentId = 0,
                Number = id.ToString(CultureInfo.InvariantCulture),
                OrderKey = "wc_order_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
                CreatedVia = "checkout",
                Version = "9.4.2",
                Status = "pending",
                Currency = _options.Currency,
                DateCreated = now,
                DateCreatedGmt = now,
                DateModified = now,
                DateModifiedGmt = now,
                PricesIncludeTax = false,
                CustomerId = customer?.Id ?? 0,
                CustomerNote = request.CustomerNote ?? "",
                Billing = billing,
                Shipping = shipping,
                PaymentMethod = request.PaymentMethod ?? (business ? "bacs" : "stripe"),
                PaymentMethodTitle = (request.PaymentMethod ?? (business ? "bacs" : "stripe")) switch
                {
                    "bacs" => "Direct bank transfer",
                    "cod" => "Cash on delivery",
                    _ => "Credit Card (Stripe)",
                },
                TransactionId = "",
                MetaData = meta,
                LineItems = lines,
                CouponLines = couponPercent > 0 ? [new WooCouponLine { Id = _nextLineId++, Code = request.CouponCode!.ToLowerInvariant() }] : [],
                FeeLines = [],
                ShippingLines = [new WooShippingLine { Id = _nextLineId++, MethodId = "flat_rate", MethodTitle = "Flat rate", Total = Money(_options.FlatShipping) }],
                TaxLines = [],
                Refunds = [],
            };

            // B2B orders under 50 carry a small-order surcharge, which gives the sandbox fee lines.
            if (business && lines.Sum(l => decimal.Parse(l.Total!, CultureInfo.InvariantCulture)) < 50m)
            {
                order.FeeLines.Add(new WooFeeLine { Id = _nextLineId++, Name = "Small order surcharge", TaxClass = "", TaxStatus = "taxable", Total = "5.00" });
            }

            ApplyTaxes(order, exempt);
            _orders[id] = order;
            _notes[id] = [];
            _refunds[id] = [];
            order = Clone(order);
        }

        Raise(("order", "created", order.Id!.Value));
        return new PendingCheckout(order.Id!.Value, reductions);
    }

    /// <summary>Second half of a checkout: the payment went through. Stock is reduced by the ordered quantities
    /// without checking it again (an atomic decrement, as WooCommerce's SQL update), so checkouts that passed the
    /// stock check on the same stale stock drive it negative.</summary>
    public WooOrder CompleteCheckout(PendingCheckout pending)
    {
        WooOrder order;
        var changes = new List<(string, string, long)>();
        lock (_gate)
        {
            var live = OrderLocked(pending.OrderId);
            var paidNow = live.PaymentMethod is not ("bacs" or "cod");
            var target = live.PaymentMethod == "bacs" ? "on-hold" : "processing";
            if (paidNow)
            {
                live.DatePaid = live.DatePaidGmt = Now;
                live.TransactionId = "ch_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            }

            ReduceStockLocked(live);
            SetStatusLocked(live, target, "");
            order = Clone(live);
            changes.Add(("order", "updated", pending.OrderId));
        }

        Raise([.. changes]);
        return order;
    }

    private (long ProductId, long? VariationId, string Name, string Sku, decimal Price, string TaxClass) Resolve(CheckoutLine requested, SeedCustomer? customer)
    {
        long productId;
        long? variationId;
        if (!string.IsNullOrEmpty(requested.Sku))
        {
            if (!_skus.TryGetValue(requested.Sku, out var at))
            {
                throw ApiException.BadRequest("woocommerce_rest_invalid_sku", $"No product with SKU \"{requested.Sku}\".");
            }

            (productId, variationId) = at;
        }
        else
        {
            productId = requested.ProductId ?? 0;
            variationId = requested.VariationId is > 0 ? requested.VariationId : null;
        }

        var product = _products.GetValueOrDefault(productId) ?? throw ApiException.BadRequest("woocommerce_rest_invalid_product_id", $"Product #{productId} does not exist.");
        if (variationId is null && product.Type == "variable")
        {
            throw ApiException.BadRequest("woocommerce_rest_invalid_product_id", $"\"{product.Name}\" is a variable product: choose a variation.");
        }

        var variation = variationId is { } v ? VariationLocked(productId, v) : null;
        var sku = variation?.Sku ?? product.Sku ?? "";
        var name = variation is null ? product.Name ?? "" : $"{product.Name} - {string.Join(", ", (variation.Attributes ?? []).Select(a => a.Option))}";
        var listPrice = decimal.Parse((variation?.Price ?? product.Price) is { Length: > 0 } p ? p : "0", CultureInfo.InvariantCulture);
        var price = listPrice;
        if (customer is { Kind: SeedCustomerKind.Business })
        {
            var list = customer.Currency == _options.Currency ? customer.PriceList : SandboxCatalog.PriceLists.Wholesale;
            price = FindPrice(sku, list, customer.Id) ?? listPrice;
        }

        return (productId, variationId, name, sku, price, variation?.TaxClass ?? product.TaxClass ?? "");
    }

    private (bool Managed, int Stock, string Backorders) StockOf(long productId, long? variationId)
    {
        if (variationId is { } v && _variations[v].ManageStock == true)
        {
            return (true, _variations[v].StockQuantity ?? 0, _variations[v].Backorders ?? "no");
        }

        var product = _products[productId];
        return (product.ManageStock == true, product.StockQuantity ?? 0, product.Backorders ?? "no");
    }

    private void ReduceStockLocked(WooOrder order)
    {
        var reduced = _stockReduced.TryGetValue(order.Id!.Value, out var set) ? set : _stockReduced[order.Id.Value] = [];
        var changes = new List<string>();
        foreach (var line in order.LineItems ?? [])
        {
            if (!reduced.Add(line.Id!.Value))
            {
                continue;
            }

            var (before, after) = AdjustStock(line.ProductId ?? 0, line.VariationId is > 0 ? line.VariationId : null, -(line.Quantity ?? 0));
            if (before is not null)
            {
                changes.Add($"{line.Name} ({line.Sku}) {before}&rarr;{after}");
            }
        }

        if (changes.Count > 0)
        {
            AddNoteLocked(order.Id.Value, "Stock levels reduced: " + string.Join(", ", changes), false, "system");
        }
    }

    private void RestoreStockLocked(WooOrder order)
    {
        if (!_stockReduced.TryGetValue(order.Id!.Value, out var reduced) || reduced.Count == 0)
        {
            return;
        }

        var changes = new List<string>();
        foreach (var line in (order.LineItems ?? []).Where(l => reduced.Contains(l.Id!.Value)))
        {
            var (before, after) = AdjustStock(line.ProductId ?? 0, line.VariationId is > 0 ? line.VariationId : null, line.Quantity ?? 0);
            if (before is not null)
            {
                changes.Add($"{line.Name} ({line.Sku}) {before}&rarr;{after}");
            }
        }

        reduced.Clear();
        if (changes.Count > 0)
        {
            AddNoteLocked(order.Id.Value, "Stock levels increased: " + string.Join(", ", changes), false, "system");
        }
    }

    private (int? Before, int? After) AdjustStock(long productId, long? variationId, int delta)
    {
        if (variationId is { } v && _variations.TryGetValue(v, out var variation) && variation.ManageStock == true)
        {
            var before = variation.StockQuantity ?? 0;
            variation.StockQuantity = before + delta;
            variation.DateModified = variation.DateModifiedGmt = Now;
            SetStockStatus(variation);
            return (before, variation.StockQuantity);
        }

        if (_products.TryGetValue(productId, out var product) && product.ManageStock == true)
        {
            var before = product.StockQuantity ?? 0;
            product.StockQuantity = before + delta;
            product.DateModified = product.DateModifiedGmt = Now;
            SetStockStatus(product);
            return (before, product.StockQuantity);
        }

        return (null, null);
    }

    private void ApplyTaxes(WooOrder order, bool exempt)
    {
        var address = order.Shipping is { Country.Length: > 0 } ? order.Shipping : order.Billing!;
        var summary = new Dictionary<int, (SeedTaxRate Rate, decimal Items, decimal Shipping)>();
        void Add(SeedTaxRate rate, decimal items, decimal shipping)
        {
            var current = summary.GetValueOrDefault(rate.Id, (rate, 0m, 0m));
            summary[rate.Id] = (rate, current.Item2 + items, current.Item3 + shipping);
        }

        foreach (var line in order.LineItems!)
        {
            var subtotalTaxes = exempt ? [] : Taxes(line.TaxClass ?? "", address, decimal.Parse(line.Subtotal!, CultureInfo.InvariantCulture), shipping: false);
            var totalTaxes = exempt ? [] : Taxes(line.TaxClass ?? "", address, decimal.Parse(line.Total!, CultureInfo.InvariantCulture), shipping: false);
            line.Taxes = [.. totalTaxes.Select(t => new WooLineTax
            {
                Id = t.Rate.Id,
                Total = Money(t.Amount),
                Subtotal = Money(subtotalTaxes.FirstOrDefault(s => s.Rate.Id == t.Rate.Id).Amount),
            })];
            line.SubtotalTax = Money(subtotalTaxes.Sum(t => t.Amount));
            line.TotalTax = Money(totalTaxes.Sum(t => t.Amount));
            foreach (var (rate, amount) in totalTaxes)
            {
                Add(rate, amount, 0);
            }
        }

        foreach (var fee in order.FeeLines!)
        {
            var taxes = exempt ? [] : Taxes("", address, decimal.Parse(fee.Total!, CultureInfo.InvariantCulture), shipping: false);
            fee.Taxes = [.. taxes.Select(t => new WooLineTax { Id = t.Rate.Id, Total = Money(t.Amount), Subtotal = "" })];
            fee.TotalTax = Money(taxes.Sum(t => t.Amount));
            foreach (var (rate, amount) in taxes)
            {
                Add(rate, amount, 0);
            }
        }

        foreach (var shipping in order.ShippingLines!)
        {
            var taxes = exempt ? [] : Taxes("", address, decimal.Parse(shipping.Total!, CultureInfo.InvariantCulture), shipping: true);
            shipping.Taxes = [.. taxes.Select(t => new WooLineTax { Id = t.Rate.Id, Total = Money(t.Amount), Subtotal = "" })];
            shipping.TotalTax = Money(taxes.Sum(t => t.Amount));
            foreach (var (rate, amount) in taxes)
            {
                Add(rate, 0, amount);
            }
        }

        order.TaxLines = [.. summary.Values.Select(s => new WooTaxLine
        {
            Id = _nextLineId++,
            RateId = s.Rate.Id,
            RateCode = $"{s.Rate.Country}-{(s.Rate.State.Length > 0 ? s.Rate.State + "-" : "")}{s.Rate.Name.ToUpperInvariant()}-{s.Rate.Priority}",
            Label = s.Rate.Name,
            Compound = s.Rate.Compound,
            TaxTotal = Money(s.Items),
            ShippingTaxTotal = Money(s.Shipping),
            RatePercent = s.Rate.RatePercent.ToString(CultureInfo.InvariantCulture),
        })];
        RecalculateTotals(order);
    }

    private static void RecalculateTotals(WooOrder order)
    {
        static decimal D(string? value) => string.IsNullOrEmpty(value) ? 0m : decimal.Parse(value, CultureInfo.InvariantCulture);
        var lines = order.LineItems ?? [];
        var discount = lines.Sum(l => D(l.Subtotal) - D(l.Total));
        var discountTax = lines.Sum(l => D(l.SubtotalTax) - D(l.TotalTax));
        var cartTax = lines.Sum(l => D(l.TotalTax)) + (order.FeeLines ?? []).Sum(f => D(f.TotalTax));
        var shipping = (order.ShippingLines ?? []).Sum(s => D(s.Total));
        var shippingTax = (order.ShippingLines ?? []).Sum(s => D(s.TotalTax));
        var fees = (order.FeeLines ?? []).Sum(f => D(f.Total));
        order.DiscountTotal = Money(discount);
        order.DiscountTax = Money(discountTax);
        order.CartTax = Money(cartTax);
        order.ShippingTotal = Money(shipping);
        order.ShippingTax = Money(shippingTax);
        order.TotalTax = Money(cartTax + shippingTax);
        order.Total = Money(lines.Sum(l => D(l.Total)) + fees + shipping + cartTax + shippingTax);
        if (order.CouponLines is { Count: > 0 } coupons)
        {
            coupons[0].Discount = Money(discount);
            coupons[0].DiscountTax = Money(discountTax);
        }
    }

    private List<(SeedTaxRate Rate, decimal Amount)> Taxes(string wooTaxClass, WooAddress address, decimal amount, bool shipping)
    {
        var seedClass = wooTaxClass.Length == 0 ? "standard" : wooTaxClass;
        var rates = _catalog.TaxRates
            .Where(r => r.TaxClass == seedClass && r.Country == address.Country && (r.State.Length == 0 || r.State == address.State) && (!shipping || r.AppliesToShipping))
            .GroupBy(r => r.Priority)
            .OrderBy(g => g.Key)
            .Select(g => g.OrderByDescending(r => r.State.Length).First())
            .ToList();
        var result = new List<(SeedTaxRate, decimal)>();
        var accumulated = 0m;
        foreach (var rate in rates.OrderBy(r => r.Compound))
        {
            var tax = Round((rate.Compound ? amount + accumulated : amount) * rate.RatePercent / 100m);
            accumulated += tax;
            result.Add((rate, tax));
        }

        return result;
    }

    private static decimal Round(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static string Money(decimal value) => Round(value).ToString("0.00", CultureInfo.InvariantCulture);

    // ---------------- REST orders ----------------

    public WooOrder CreateOrder(WooOrder input)
    {
        var lines = (input.LineItems ?? []).Select(l => new CheckoutLine { ProductId = l.ProductId, VariationId = l.VariationId, Sku = l.Sku, Quantity = l.Quantity ?? 1 }).ToList();
        var pending = BeginCheckout(new CheckoutRequest
        {
            CustomerId = input.CustomerId,
            Billing = input.Billing,
            Shipping = input.Shipping,
            LineItems = lines,
            PaymentMethod = input.PaymentMethod ?? "bacs",
            CustomerNote = input.CustomerNote,
        });
        lock (_gate)
        {
            var order = OrderLocked(pending.OrderId);
            order.CreatedVia = "rest-api";
            order.MetaData = MergeMeta(order.MetaData, input.MetaData);
        }

        return input.SetPaid == true ? CompleteCheckout(pending) : Order(pending.OrderId);
    }

    public WooOrder UpdateOrder(long id, WooOrder patch)
    {
        WooOrder updated;
        lock (_gate)
        {
            var order = OrderLocked(id);
            if (patch.Status is { } status && !StatusTitles.ContainsKey(status))
            {
                throw ApiException.BadRequest("rest_invalid_param", "Invalid parameter(s): status");
            }

            order.CustomerNote = patch.CustomerNote ?? order.CustomerNote;
            order.TransactionId = patch.TransactionId ?? order.TransactionId;
            order.MetaData = MergeMeta(order.MetaData, patch.MetaData);
            if (patch.SetPaid == true && order.DatePaidGmt is null)
            {
                order.DatePaid = order.DatePaidGmt = Now;
                patch.Status ??= "processing";
            }

            if (patch.Status is { } next && next != order.Status)
            {
                SetStatusLocked(order, next, "");
            }

            order.DateModified = order.DateModifiedGmt = Now;
            updated = Clone(order);
        }

        Raise(("order", "updated", id));
        return updated;
    }

    private void SetStatusLocked(WooOrder order, string status, string note)
    {
        var from = order.Status ?? "pending";
        if (from == status)
        {
            return;
        }

        order.Status = status;
        order.DateModified = order.DateModifiedGmt = Now;
        if (status is "processing" or "completed" or "on-hold")
        {
            // wc_maybe_reduce_stock_levels: paid or held orders hold their stock (once).
            ReduceStockLocked(order);
        }
        else if (status is "cancelled" or "failed")
        {
            RestoreStockLocked(order);
        }

        if (status == "completed")
        {
            order.DateCompleted = order.DateCompletedGmt = Now;
            if (order.DatePaidGmt is null)
            {
                order.DatePaid = order.DatePaidGmt = Now;
            }
        }

        AddNoteLocked(order.Id!.Value, $"{note}Order status changed from {StatusTitles.GetValueOrDefault(from, from)} to {StatusTitles.GetValueOrDefault(status, status)}.".Trim(), false, "system");
    }

    // ---------------- notes ----------------

    public List<WooOrderNote> Notes(long orderId)
    {
        lock (_gate)
        {
            _ = OrderLocked(orderId);
            return [.. _notes[orderId].AsEnumerable().Reverse().Select(Clone)];
        }
    }

    public WooOrderNote AddNote(long orderId, WooOrderNote input)
    {
        lock (_gate)
        {
            _ = OrderLocked(orderId);
            if (string.IsNullOrWhiteSpace(input.Note))
            {
                throw ApiException.BadRequest("woocommerce_rest_missing_note", "Missing parameter(s): note");
            }

            return Clone(AddNoteLocked(orderId, input.Note, input.CustomerNote ?? false, "WooCommerce"));
        }
    }

    private WooOrderNote AddNoteLocked(long orderId, string text, bool customerNote, string author)
    {
        var note = new WooOrderNote { Id = _nextCommentId++, Author = author, DateCreatedGmt = Now, Note = text, CustomerNote = customerNote };
        _notes[orderId].Add(note);
        return note;
    }

    // ---------------- refunds ----------------

    public List<WooRefund> Refunds(long orderId)
    {
        lock (_gate)
        {
            _ = OrderLocked(orderId);
            return [.. _refunds[orderId].Select(Clone)];
        }
    }

    public WooRefund CreateRefund(long orderId, WooRefund input)
    {
        WooRefund refund;
        lock (_gate)
        {
            var order = OrderLocked(orderId);
            var lineRefund = (input.LineItems ?? []).Sum(l =>
                decimal.Parse(string.IsNullOrEmpty(l.RefundTotal) ? "0" : l.RefundTotal, CultureInfo.InvariantCulture)
                + (l.RefundTax ?? []).Sum(t => decimal.Parse(string.IsNullOrEmpty(t.RefundTotal) ? "0" : t.RefundTotal, CultureInfo.InvariantCulture)));
            var amount = string.IsNullOrEmpty(input.Amount) ? lineRefund : decimal.Parse(input.Amount, CultureInfo.InvariantCulture);
            var refunded = _refunds[orderId].Sum(r => decimal.Parse(r.Amount!, CultureInfo.InvariantCulture));
            var total = decimal.Parse(order.Total!, CultureInfo.InvariantCulture);
            if (amount <= 0)
            {
                throw ApiException.BadRequest("woocommerce_rest_cannot_create_order_refund", "Refund amount must be greater than zero.");
            }

            if (amount > total - refunded)
            {
                throw ApiException.BadRequest("woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.");
            }

            foreach (var line in input.LineItems ?? [])
            {
                if ((order.LineItems ?? []).All(l => l.Id != line.Id))
                {
                    throw ApiException.BadRequest("woocommerce_rest_cannot_create_order_refund", $"Invalid line item ID {line.Id}.");
                }
            }

            refund = new WooRefund
            {
                Id = _nextPostId++,
                DateCreatedGmt = Now,
                Amount = Money(amount),
                Reason = input.Reason ?? "",
                RefundedBy = 1,
                RefundedPayment = input.ApiRefund ?? true,
                LineItems = [.. (input.LineItems ?? []).Select(l => new WooRefundLine
                {
                    Id = l.Id,
                    ProductId = order.LineItems!.First(o => o.Id == l.Id).ProductId,
                    Quantity = -Math.Abs(l.Quantity ?? 0),
                    RefundTotal = l.RefundTotal,
                })],
            };
            _refunds[orderId].Add(refund);
            order.Refunds ??= [];
            order.Refunds.Add(new WooOrderRefundRef { Id = refund.Id.Value, Reason = refund.Reason, Total = "-" + refund.Amount });
            AddNoteLocked(orderId, $"Refunded {refund.Amount} {order.Currency}{(refund.Reason.Length > 0 ? " – " + refund.Reason : "")}", false, "system");
            if (input.ApiRestock == true)
            {
                var changes = new List<string>();
                foreach (var line in input.LineItems ?? [])
                {
                    var orderLine = order.LineItems!.First(o => o.Id == line.Id);
                    var (before, after) = AdjustStock(orderLine.ProductId ?? 0, orderLine.VariationId is > 0 ? orderLine.VariationId : null, Math.Abs(line.Quantity ?? 0));
                    if (before is not null && line.Quantity is not (null or 0))
                    {
                        changes.Add($"{orderLine.Name} ({orderLine.Sku}) {before}&rarr;{after}");
                    }
                }

                if (changes.Count > 0)
                {
                    AddNoteLocked(orderId, "Item stock increased: " + string.Join(", ", changes), false, "system");
                }
            }

            if (amount == total - refunded)
            {
                SetStatusLocked(order, "refunded", "");
            }

            order.DateModified = order.DateModifiedGmt = Now;
            refund = Clone(refund);
        }

        Raise(("order", "updated", orderId));
        return refund;
    }
}

/// <summary>A checkout the shopper sends to <c>POST /__shop/checkout</c>.</summary>
public sealed class CheckoutRequest
{
    /// <summary>Logged-in customer (0/null for a guest).</summary>
    public long? CustomerId { get; set; }

    /// <summary>Billing address; defaults to the customer's.</summary>
    public WooAddress? Billing { get; set; }

    /// <summary>Shipping address; defaults to the customer's, then billing.</summary>
    public WooAddress? Shipping { get; set; }

    /// <summary>Cart lines.</summary>
    public List<CheckoutLine> LineItems { get; set; } = [];

    /// <summary><c>stripe</c> (paid at once: processing), <c>bacs</c> (bank transfer: on-hold, unpaid) or <c>cod</c>.</summary>
    public string? PaymentMethod { get; set; }

    /// <summary>Coupon code (PROMO10, BLACKFRIDAY25).</summary>
    public string? CouponCode { get; set; }

    /// <summary>Note from the customer.</summary>
    public string? CustomerNote { get; set; }

    /// <summary>B2B purchase order number (order meta <c>_po_number</c>).</summary>
    public string? PurchaseOrder { get; set; }
}

/// <summary>A cart line: by SKU, or by product and variation id.</summary>
public sealed class CheckoutLine
{
    /// <summary>SKU.</summary>
    public string? Sku { get; set; }

    /// <summary>Product id.</summary>
    public long? ProductId { get; set; }

    /// <summary>Variation id.</summary>
    public long? VariationId { get; set; }

    /// <summary>Quantity.</summary>
    public int Quantity { get; set; } = 1;
}

/// <summary>A checkout between its stock check and its payment.</summary>
/// <param name="OrderId">The pending order.</param>
/// <param name="Reductions">What the payment will take from stock.</param>
internal sealed record PendingCheckout(long OrderId, IReadOnlyList<(long ProductId, long? VariationId, int Quantity)> Reductions);
