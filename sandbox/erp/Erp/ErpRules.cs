using System.Globalization;
using System.Text.Json.Nodes;
using Storebridge.Sandbox.Erp.Frappe;

namespace Storebridge.Sandbox.Erp.Erp;

/// <summary>
/// The ERPNext document rules the simulator enforces: naming, defaults and totals on save; docstatus
/// transitions (0 draft → 1 submitted → 2 cancelled); Bin quantities that move on submit and cancel of
/// sales orders (reserved), delivery notes (actual and reserved) and stock entries (actual); the customer
/// credit limit check on sales order submit; invoice outstanding amounts moved by payments and credit notes.
/// Callers hold <see cref="DocStore.Sync"/>.
/// </summary>
internal sealed class ErpRules(DocStore store, string company, string companyCurrency)
{
    public const string SalesOrder = "Sales Order";
    public const string DeliveryNote = "Delivery Note";
    public const string SalesInvoice = "Sales Invoice";
    public const string PaymentEntry = "Payment Entry";
    public const string StockEntry = "Stock Entry";
    public const string Bin = "Bin";
    public const string Item = "Item";
    public const string Customer = "Customer";
    public const string Warehouse = "Warehouse";
    public const string ItemPrice = "Item Price";

    private static readonly HashSet<string> Submittable = [SalesOrder, DeliveryNote, SalesInvoice, PaymentEntry, StockEntry];

    private static readonly Dictionary<string, string> Series = new()
    {
        [SalesOrder] = "SAL-ORD-",
        [DeliveryNote] = "MAT-DN-",
        [SalesInvoice] = "ACC-SINV-",
        [PaymentEntry] = "ACC-PAY-",
        [StockEntry] = "MAT-STE-",
    };

    private readonly Dictionary<(string Item, string Warehouse), JsonObject> _bins = [];

    public string Company => company;

    // ---- create, update, delete -------------------------------------------------------------------------

    public JsonObject Create(string doctype, JsonObject body, string user)
    {
        if (!store.HasDocType(doctype))
        {
            throw FrappeException.NotFound("DocType", doctype);
        }

        if (doctype == Bin)
        {
            throw FrappeException.Validation("Bin is maintained by stock transactions and cannot be created directly");
        }

        var docstatus = body["docstatus"] is null ? 0 : body.Int("docstatus");
        if (docstatus is not (0 or 1))
        {
            throw FrappeException.Validation($"Cannot create a document with docstatus {docstatus}");
        }

        if (docstatus == 1 && !Submittable.Contains(doctype))
        {
            throw FrappeException.Validation($"{doctype} is not submittable");
        }

        var doc = body.DeepClone().AsObject();
        foreach (var standard in new[] { "name", "owner", "creation", "modified", "modified_by", "idx", "doctype" })
        {
            doc.Remove(standard);
        }

        doc["docstatus"] = 0;
        var name = NameFor(doctype, body);
        Validate(doctype, doc);
        doc = store.Insert(doctype, name, doc, owner: user);
        if (docstatus == 1)
        {
            try
            {
                Submit(doc, user);
            }
            catch
            {
                // Frappe runs insert and submit in one transaction: a failed submit leaves nothing behind.
                store.Delete(doctype, name);
                throw;
            }
        }

        return doc;
    }

    public JsonObject Update(string doctype, string name, JsonObject body, string user)
    {
        var doc = store.Get(doctype, name);
        if (body["modified"] is not null && body.Str("modified") != doc.Str("modified"))
        {
            throw FrappeException.Timestamp(doctype, name);
        }

        var current = doc.Int("docstatus");
        var target = body["docstatus"] is null ? current : body.Int("docstatus");
        var changes = body.Where(p => p.Key is not ("modified" or "docstatus" or "name" or "doctype" or "owner" or "creation" or "modified_by"))
            .ToList();

        switch (current, target)
        {
            case (0, 0) or (0, 1):
                // Frappe saves and submits in one transaction: on a refusal the stored draft stays as it was.
                var snapshot = doc.DeepClone().AsObject();
                try
                {
                    foreach (var (key, value) in changes)
                    {
                        doc[key] = value?.DeepClone();
                    }

                    Validate(doctype, doc);
                    store.Touch(doc, user);
                    if (target == 1)
                    {
                        Submit(doc, user);
                    }
                }
                catch
                {
                    doc.Clear();
                    foreach (var (key, value) in snapshot.ToList())
                    {
                        snapshot.Remove(key);
                        doc[key] = value;
                    }

                    throw;
                }

                return doc;
            case (1, 1) or (1, 2):
                var changed = changes.FirstOrDefault(c => !JsonNode.DeepEquals(c.Value, doc[c.Key]));
                if (changed.Key is not null)
                {
                    throw FrappeException.Validation($"Not allowed to change {changed.Key} after submission", "UpdateAfterSubmitError");
                }

                if (target == 2)
                {
                    Cancel(doc, user);
                }

                return doc;
            case (2, _):
                throw FrappeException.Validation("Cannot edit cancelled document");
            default:
                throw FrappeException.Validation($"Cannot change docstatus from {current} to {target}");
        }
    }

    public void Delete(string doctype, string name)
    {
        var doc = store.Get(doctype, name);
        if (doc.Int("docstatus") == 1)
        {
            throw FrappeException.Validation($"{doctype} {name}: Submitted Record cannot be deleted. You must Cancel it first.");
        }

        if (doctype is Item or Customer or Warehouse or Bin)
        {
            throw FrappeException.Validation($"Cannot delete or cancel because {doctype} {name} is linked with other documents", "LinkExistsError");
        }

        store.Delete(doctype, name);
    }

    public void Submit(JsonObject doc, string user = "Administrator")
    {
        var doctype = doc.Str("doctype");
        if (!Submittable.Contains(doctype))
        {
            throw FrappeException.Validation($"{doctype} is not submittable");
        }

        if (doc.Int("docstatus") != 0)
        {
            throw FrappeException.Validation(doc.Int("docstatus") == 1 ? "Document has already been submitted" : "Cannot edit cancelled document");
        }

        // Every check runs before anything moves, so a refusal (credit limit, negative stock) leaves no partial movement.
        switch (doctype)
        {
            case SalesOrder:
                CheckCreditLimit(doc);
                SetDocstatus(doc, 1, user);
                MoveSalesOrderReservation(doc, +1);
                doc["status"] = "To Deliver and Bill";
                break;
            case DeliveryNote:
                CheckDeliveryNote(doc);
                SetDocstatus(doc, 1, user);
                MoveDeliveryNote(doc, +1, user);
                doc["status"] = "To Bill";
                break;
            case StockEntry:
                CheckStockEntry(doc);
                SetDocstatus(doc, 1, user);
                MoveStockEntry(doc, +1);
                break;
            case SalesInvoice:
                CheckSalesInvoice(doc);
                SetDocstatus(doc, 1, user);
                MoveSalesInvoice(doc, +1, user);
                break;
            case PaymentEntry:
                CheckPaymentEntry(doc);
                SetDocstatus(doc, 1, user);
                MovePaymentEntry(doc, +1, user);
                break;
        }
    }

    public void Cancel(JsonObject doc, string user = "Administrator")
    {
        var doctype = doc.Str("doctype");
        var name = doc.Str("name");
        if (doc.Int("docstatus") != 1)
        {
            throw FrappeException.Validation(doc.Int("docstatus") == 0 ? "Cannot cancel before submitting" : "Document is already cancelled");
        }

        switch (doctype)
        {
            case SalesOrder:
                var linkedNote = store.All(DeliveryNote).FirstOrDefault(d => d.Int("docstatus") == 1 && d.RowObjects("items").Any(i => i.Str("against_sales_order") == name));
                var linkedInvoice = store.All(SalesInvoice).FirstOrDefault(d => d.Int("docstatus") == 1 && d.RowObjects("items").Any(i => i.Str("sales_order") == name));
                var linked = linkedNote ?? linkedInvoice;
                if (linked is not null)
                {
                    throw FrappeException.Validation(
                        $"Cannot delete or cancel because {SalesOrder} {name} is linked with {linked.Str("doctype")} {linked.Str("name")}",
                        "LinkExistsError");
                }

                MoveSalesOrderReservation(doc, -1);
                break;
            case DeliveryNote:
                MoveDeliveryNote(doc, -1, user);
                break;
            case StockEntry:
                CheckStockEntry(doc, reverse: true);
                MoveStockEntry(doc, -1);
                break;
            case SalesInvoice:
                var payment = store.All(PaymentEntry).FirstOrDefault(p => p.Int("docstatus") == 1 && p.RowObjects("references").Any(r => r.Str("reference_name") == name));
                var creditNote = store.All(SalesInvoice).FirstOrDefault(s => s.Int("docstatus") == 1 && s.Str("return_against") == name);
                var link = payment ?? creditNote;
                if (link is not null)
                {
                    throw FrappeException.Validation(
                        $"Cannot delete or cancel because {SalesInvoice} {name} is linked with {link.Str("doctype")} {link.Str("name")}",
                        "LinkExistsError");
                }

                MoveSalesInvoice(doc, -1, user);
                break;
            case PaymentEntry:
                MovePaymentEntry(doc, -1, user);
                break;
            default:
                throw FrappeException.Validation($"{doctype} is not submittable");
        }

        SetDocstatus(doc, 2, user);
        doc["status"] = "Cancelled";
    }

    // ---- stock ---------------------------------------------------------------------------------------------

    /// <summary>The Bin of an item in a warehouse, created on first use as ERPNext does.</summary>
    public JsonObject BinFor(string item, string warehouse, string? stamp = null)
    {
        if (_bins.TryGetValue((item, warehouse), out var bin))
        {
            return bin;
        }

        var itemDoc = store.Get(Item, item);
        bin = store.Insert(Bin, store.NextHash(), new JsonObject
        {
            ["item_code"] = item,
            ["warehouse"] = warehouse,
            ["actual_qty"] = 0m,
            ["reserved_qty"] = 0m,
            ["ordered_qty"] = 0m,
            ["indented_qty"] = 0m,
            ["planned_qty"] = 0m,
            ["projected_qty"] = 0m,
            ["stock_uom"] = itemDoc.Str("stock_uom"),
        }, stamp);
        _bins[(item, warehouse)] = bin;
        return bin;
    }

    private void MoveBin(string item, string warehouse, decimal actual = 0m, decimal reserved = 0m, decimal ordered = 0m)
    {
        var bin = BinFor(item, warehouse);
        bin["actual_qty"] = bin.Dec("actual_qty") + actual;
        bin["reserved_qty"] = Math.Max(0m, bin.Dec("reserved_qty") + reserved);
        bin["ordered_qty"] = bin.Dec("ordered_qty") + ordered;
        // ERPNext: projected = actual + ordered + indented + planned - reserved (- reserved for production/sub-contract).
        bin["projected_qty"] = bin.Dec("actual_qty") + bin.Dec("ordered_qty") + bin.Dec("indented_qty") + bin.Dec("planned_qty") - bin.Dec("reserved_qty");
        store.Touch(bin);
    }

    // ---- naming and validation -----------------------------------------------------------------------------

    private string NameFor(string doctype, JsonObject body)
    {
        if (Series.TryGetValue(doctype, out var prefix))
        {
            return store.NextName(prefix);
        }

        var name = doctype switch
        {
            Item => body.Str("item_code"),
            Customer => body.Str("customer_name"),
            Warehouse => body.Str("warehouse_name") is { Length: > 0 } w ? $"{w} - {CompanyAbbreviation}" : "",
            _ => body.Str("name") is { Length: > 0 } n ? n : store.NextHash(),
        };
        if (name.Length == 0)
        {
            throw FrappeException.Mandatory(doctype, doctype switch { Item => "Item Code", Customer => "Customer Name", _ => "Name" });
        }

        return name;
    }

    private string CompanyAbbreviation => store.Find("Company", company)?.Str("abbr") ?? "SBD";

    private void Validate(string doctype, JsonObject doc)
    {
        switch (doctype)
        {
            case SalesOrder:
                ValidateSellingDocument(doc, "transaction_date");
                Require(doc, SalesOrder, "delivery_date", "Delivery Date");
                if (string.CompareOrdinal(doc.Str("delivery_date"), doc.Str("transaction_date")) < 0)
                {
                    throw FrappeException.Validation("Row #1: Expected Delivery Date cannot be before Sales Order Date");
                }

                doc["status"] = "Draft";
                doc["per_delivered"] ??= 0m;
                doc["per_billed"] ??= 0m;
                foreach (var row in doc.RowObjects("items"))
                {
                    row["delivery_date"] ??= doc["delivery_date"]?.DeepClone();
                    row["delivered_qty"] ??= 0m;
                    row["billed_amt"] ??= 0m;
                }

                break;
            case DeliveryNote:
                ValidateSellingDocument(doc, "posting_date");
                doc["status"] = "Draft";
                break;
            case SalesInvoice:
                ValidateSellingDocument(doc, "posting_date", allowNegativeQty: doc.Flag("is_return"), allowNoItems: doc.Str("is_opening") == "Yes");
                doc["is_return"] ??= 0;
                doc["status"] = "Draft";
                doc["outstanding_amount"] = 0m;
                doc["due_date"] ??= doc["posting_date"]?.DeepClone();
                break;
            case PaymentEntry:
                ValidatePaymentEntry(doc);
                break;
            case StockEntry:
                ValidateStockEntry(doc);
                break;
            case Customer:
                Require(doc, Customer, "customer_name", "Customer Name");
                doc["customer_type"] ??= "Company";
                doc["customer_group"] ??= "Commercial";
                doc["disabled"] ??= 0;
                break;
            case Item:
                Require(doc, Item, "item_code", "Item Code");
                Require(doc, Item, "item_group", "Item Group");
                Require(doc, Item, "stock_uom", "Default Unit of Measure");
                doc["item_name"] ??= doc["item_code"]?.DeepClone();
                doc["is_stock_item"] ??= 1;
                doc["has_variants"] ??= 0;
                doc["disabled"] ??= 0;
                break;
        }
    }

    private static void Require(JsonObject doc, string doctype, string field, string label)
    {
        if (doc.Str(field).Length == 0)
        {
            throw FrappeException.Mandatory(doctype, label);
        }
    }

    private void ValidateSellingDocument(JsonObject doc, string dateField, bool allowNegativeQty = false, bool allowNoItems = false)
    {
        var doctype = doc.Str("doctype") is { Length: > 0 } t ? t : dateField == "transaction_date" ? SalesOrder : SalesInvoice;
        Require(doc, doctype, "customer", "Customer");
        var customer = store.Find(Customer, doc.Str("customer")) ?? throw FrappeException.Link(Customer, doc.Str("customer"));
        if (customer.Flag("disabled"))
        {
            throw FrappeException.Validation($"Customer {doc.Str("customer")} is disabled");
        }

        doc["company"] ??= company;
        doc[dateField] ??= store.Today();
        doc["customer_name"] = customer.Str("customer_name");
        doc["currency"] ??= customer.Str("default_currency") is { Length: > 0 } c ? c : companyCurrency;
        doc["conversion_rate"] = doc.Str("currency") == companyCurrency ? 1m : 1.08m;
        doc["selling_price_list"] ??= customer.Str("default_price_list") is { Length: > 0 } p ? p : "Standard Selling";
        doc["price_list_currency"] = store.Find("Price List", doc.Str("selling_price_list"))?.Str("currency") ?? doc.Str("currency");

        var items = doc.Rows("items");
        if (items.Count == 0 && !allowNoItems)
        {
            throw FrappeException.Mandatory(doctype, "Items");
        }

        var row = 0;
        decimal netTotal = 0m, totalQty = 0m;
        foreach (var line in items.Cast<JsonObject>())
        {
            row++;
            var code = line.Str("item_code");
            if (code.Length == 0)
            {
                throw FrappeException.Mandatory(doctype, $"Item Code (row {row})");
            }

            var item = store.Find(Item, code) ?? throw FrappeException.Link(Item, code);
            if (item.Flag("has_variants"))
            {
                throw FrappeException.Validation($"Row #{row}: Item {code} is a template, please select one of its variants");
            }

            if (item.Flag("disabled"))
            {
                throw FrappeException.Validation($"Row #{row}: Item {code} is disabled");
            }

            var qty = line.Dec("qty");
            if (qty == 0m || (qty < 0m && !allowNegativeQty))
            {
                throw FrappeException.Validation($"Row #{row}: Quantity for Item {code} must be a positive number");
            }

            if (allowNegativeQty && qty > 0m)
            {
                throw FrappeException.Validation($"Row #{row}: Quantity for Item {code} should be negative in a return document");
            }

            var warehouse = line.Str("warehouse") is { Length: > 0 } w ? w : doc.Str("set_warehouse");
            if (warehouse.Length > 0 && !store.Exists(Warehouse, warehouse))
            {
                throw FrappeException.Link(Warehouse, warehouse);
            }

            if (warehouse.Length > 0)
            {
                line["warehouse"] = warehouse;
            }
            else if (item.Flag("is_stock_item") && doctype is SalesOrder or DeliveryNote)
            {
                throw FrappeException.Mandatory(doctype, $"Warehouse (row {row})");
            }

            if (line["rate"] is null)
            {
                line["rate"] = LookUpRate(code, doc.Str("selling_price_list"), doc.Str("customer"))
                    ?? throw FrappeException.Validation($"Row #{row}: Rate is mandatory for Item {code}: no Item Price in {doc.Str("selling_price_list")}");
            }

            var rate = line.Dec("rate");
            if (rate < 0m)
            {
                throw FrappeException.Validation($"Row #{row}: Rate cannot be negative for Item {code}");
            }

            line["item_name"] = item.Str("item_name");
            line["stock_uom"] = item.Str("stock_uom");
            line["uom"] ??= item.Str("stock_uom");
            line["conversion_factor"] = 1m;
            line["amount"] = Json.Round2(rate * qty);
            netTotal += Json.Round2(rate * qty);
            totalQty += qty;
        }

        var taxes = 0m;
        foreach (var tax in doc.RowObjects("taxes"))
        {
            var chargeType = tax.Str("charge_type") is { Length: > 0 } ct ? ct : "Actual";
            tax["charge_type"] = chargeType;
            tax["tax_amount"] = chargeType switch
            {
                "Actual" => tax.Dec("tax_amount"),
                "On Net Total" => Json.Round2(netTotal * tax.Dec("rate") / 100m),
                _ => throw FrappeException.Validation($"Charge type {chargeType} is not supported by the simulator"),
            };
            Require(tax, "Sales Taxes and Charges", "account_head", "Account Head");
            Require(tax, "Sales Taxes and Charges", "description", "Description");
            taxes += tax.Dec("tax_amount");
            tax["total"] = netTotal + taxes;
        }

        doc["total_qty"] = totalQty;
        doc["total"] = netTotal;
        doc["net_total"] = netTotal;
        doc["total_taxes_and_charges"] = taxes;
        var grand = items.Count == 0 ? doc.Dec("grand_total") : netTotal + taxes;
        doc["grand_total"] = grand;
        doc["rounded_total"] = grand;
        doc["base_grand_total"] = Json.Round2(grand * doc.Dec("conversion_rate"));
    }

    private decimal? LookUpRate(string item, string priceList, string customer)
    {
        var prices = store.All(ItemPrice).Where(p => p.Str("item_code") == item && p.Str("price_list") == priceList).ToList();
        var price = prices.FirstOrDefault(p => p.Str("customer") == customer) ?? prices.FirstOrDefault(p => p.Str("customer").Length == 0);
        return price?.Dec("price_list_rate");
    }

    // ---- sales order -------------------------------------------------------------------------------------

    /// <summary>Customer exposure as ERPNext's get_customer_outstanding sums it: unpaid invoices plus the unbilled part of open sales orders.</summary>
    public decimal Exposure(string customer)
    {
        var invoices = store.All(SalesInvoice).Where(s => s.Int("docstatus") == 1 && s.Str("customer") == customer).Sum(s => s.Dec("outstanding_amount"));
        var orders = store.All(SalesOrder)
            .Where(s => s.Int("docstatus") == 1 && s.Str("customer") == customer && s.Str("status") is not ("Closed" or "Completed"))
            .Sum(s => s.Dec("grand_total") * (100m - s.Dec("per_billed")) / 100m);
        return Json.Round2(invoices + orders);
    }

    private void CheckCreditLimit(JsonObject order)
    {
        var customerName = order.Str("customer");
        var customer = store.Get(Customer, customerName);
        var limit = customer.RowObjects("credit_limits").FirstOrDefault(l => l.Str("company") == order.Str("company"));
        if (limit is null || limit.Dec("credit_limit") <= 0m || limit.Flag("bypass_credit_limit_check"))
        {
            return;
        }

        // ERPNext checks on submit, with this order already counted.
        var outstanding = Exposure(customerName) + order.Dec("grand_total");
        var creditLimit = limit.Dec("credit_limit");
        if (outstanding > creditLimit)
        {
            throw new FrappeException(417, "ValidationError", $"Please contact your administrator to extend the credit limits for {customerName}.", "Credit Limit Crossed")
            {
                EarlierMessages = [$"Credit limit has been crossed for customer {customerName} ({Money(outstanding)}/{Money(creditLimit)})"],
            };
        }
    }

    private static string Money(decimal value) => value.ToString("N2", CultureInfo.InvariantCulture);

    private void MoveSalesOrderReservation(JsonObject order, int direction)
    {
        foreach (var line in order.RowObjects("items").Where(IsStockLine))
        {
            var pending = line.Dec("qty") - line.Dec("delivered_qty");
            if (pending > 0m)
            {
                MoveBin(line.Str("item_code"), line.Str("warehouse"), reserved: direction * pending);
            }
        }
    }

    private bool IsStockLine(JsonObject line) =>
        line.Str("warehouse").Length > 0 && store.Find(Item, line.Str("item_code"))?.Flag("is_stock_item") == true;

    // ---- delivery note -----------------------------------------------------------------------------------

    private void CheckDeliveryNote(JsonObject note)
    {
        var row = 0;
        var needed = new Dictionary<(string, string), decimal>();
        foreach (var line in note.RowObjects("items"))
        {
            row++;
            var orderName = line.Str("against_sales_order");
            if (orderName.Length > 0)
            {
                var order = store.Find(SalesOrder, orderName) ?? throw FrappeException.Link(SalesOrder, orderName);
                if (order.Int("docstatus") != 1)
                {
                    throw FrappeException.Validation($"Row #{row}: {SalesOrder} {orderName} is not submitted");
                }

                var orderLine = FindOrderLine(order, line) ?? throw FrappeException.Validation($"Row #{row}: Item {line.Str("item_code")} is not in {SalesOrder} {orderName}");
                line["so_detail"] = orderLine.Str("name");
                var remaining = orderLine.Dec("qty") - orderLine.Dec("delivered_qty");
                if (line.Dec("qty") > remaining)
                {
                    throw FrappeException.Validation(
                        $"Row #{row}: This document is over limit by {line.Dec("qty") - remaining} for item {line.Str("item_code")}. Are you making another {DeliveryNote} against the same {SalesOrder} Item?");
                }
            }

            if (IsStockLine(line))
            {
                var key = (line.Str("item_code"), line.Str("warehouse"));
                needed[key] = needed.GetValueOrDefault(key) + line.Dec("qty");
            }
        }

        foreach (var ((item, warehouse), qty) in needed)
        {
            var actual = BinFor(item, warehouse).Dec("actual_qty");
            if (actual < qty)
            {
                throw FrappeException.Validation(
                    $"{qty - actual} units of Item {item} needed in Warehouse {warehouse} to complete this transaction.", "NegativeStockError", "Insufficient Stock");
            }
        }
    }

    private static JsonObject? FindOrderLine(JsonObject order, JsonObject line) =>
        order.RowObjects("items").FirstOrDefault(l => l.Str("name") == line.Str("so_detail"))
        ?? order.RowObjects("items").FirstOrDefault(l => l.Str("item_code") == line.Str("item_code") && l.Dec("qty") > l.Dec("delivered_qty"))
        ?? order.RowObjects("items").FirstOrDefault(l => l.Str("item_code") == line.Str("item_code"));

    private void MoveDeliveryNote(JsonObject note, int direction, string user)
    {
        var touched = new Dictionary<string, JsonObject>();
        foreach (var line in note.RowObjects("items"))
        {
            var qty = line.Dec("qty");
            var orderName = line.Str("against_sales_order");
            JsonObject? orderLine = null;
            if (orderName.Length > 0)
            {
                var order = store.Get(SalesOrder, orderName);
                orderLine = FindOrderLine(order, line);
                touched[orderName] = order;
            }

            if (IsStockLine(line))
            {
                // Only what the order still had reserved comes off the reservation.
                var reservedMove = orderLine is null ? 0m : Math.Min(qty, direction > 0 ? orderLine.Dec("qty") - orderLine.Dec("delivered_qty") : orderLine.Dec("delivered_qty"));
                MoveBin(line.Str("item_code"), line.Str("warehouse"), actual: -direction * qty, reserved: -direction * reservedMove);
            }

            if (orderLine is not null)
            {
                orderLine["delivered_qty"] = orderLine.Dec("delivered_qty") + (direction * qty);
            }
        }

        foreach (var order in touched.Values)
        {
            RefreshOrderStatus(order);
            store.Touch(order, user);
        }
    }

    private static void RefreshOrderStatus(JsonObject order)
    {
        var lines = order.RowObjects("items").ToList();
        var qty = lines.Sum(l => l.Dec("qty"));
        var amount = lines.Sum(l => l.Dec("amount"));
        var delivered = qty == 0 ? 0m : Json.Round2(lines.Sum(l => Math.Min(l.Dec("delivered_qty"), l.Dec("qty"))) * 100m / qty);
        var billed = amount == 0 ? 0m : Json.Round2(lines.Sum(l => Math.Min(l.Dec("billed_amt"), l.Dec("amount"))) * 100m / amount);
        order["per_delivered"] = delivered;
        order["per_billed"] = billed;
        if (order.Int("docstatus") == 1 && order.Str("status") is not "Closed")
        {
            order["status"] = (delivered >= 100m, billed >= 100m) switch
            {
                (true, true) => "Completed",
                (true, false) => "To Bill",
                (false, true) => "To Deliver",
                _ => "To Deliver and Bill",
            };
        }
    }

    // ---- stock entry -------------------------------------------------------------------------------------

    private void ValidateStockEntry(JsonObject entry)
    {
        var purpose = entry.Str("stock_entry_type") is { Length: > 0 } p ? p : entry.Str("purpose");
        if (purpose is not ("Material Receipt" or "Material Issue" or "Material Transfer"))
        {
            throw FrappeException.Validation($"Stock Entry Type {purpose} is not supported: use Material Receipt, Material Issue or Material Transfer");
        }

        entry["stock_entry_type"] = purpose;
        entry["purpose"] = purpose;
        entry["company"] ??= company;
        entry["posting_date"] ??= store.Today();
        var row = 0;
        foreach (var line in entry.RowObjects("items"))
        {
            row++;
            var code = line.Str("item_code");
            _ = store.Find(Item, code) ?? throw FrappeException.Link(Item, code);
            if (line.Dec("qty") <= 0m)
            {
                throw FrappeException.Validation($"Row #{row}: Quantity must be greater than zero");
            }

            var needsSource = purpose is "Material Issue" or "Material Transfer";
            var needsTarget = purpose is "Material Receipt" or "Material Transfer";
            foreach (var (field, needed) in new[] { ("s_warehouse", needsSource), ("t_warehouse", needsTarget) })
            {
                var warehouse = line.Str(field);
                if (needed && warehouse.Length == 0)
                {
                    throw FrappeException.Validation($"Row #{row}: {(field == "s_warehouse" ? "Source" : "Target")} warehouse is mandatory for {purpose}");
                }

                if (warehouse.Length > 0 && !store.Exists(Warehouse, warehouse))
                {
                    throw FrappeException.Link(Warehouse, warehouse);
                }
            }
        }

        if (entry.Rows("items").Count == 0)
        {
            throw FrappeException.Mandatory(StockEntry, "Items");
        }
    }

    private void CheckStockEntry(JsonObject entry, bool reverse = false)
    {
        var needed = new Dictionary<(string, string), decimal>();
        foreach (var line in entry.RowObjects("items"))
        {
            var warehouse = line.Str(reverse ? "t_warehouse" : "s_warehouse");
            if (warehouse.Length > 0)
            {
                var key = (line.Str("item_code"), warehouse);
                needed[key] = needed.GetValueOrDefault(key) + line.Dec("qty");
            }
        }

        foreach (var ((item, warehouse), qty) in needed)
        {
            var actual = BinFor(item, warehouse).Dec("actual_qty");
            if (actual < qty)
            {
                throw FrappeException.Validation(
                    $"{qty - actual} units of Item {item} needed in Warehouse {warehouse} to complete this transaction.", "NegativeStockError", "Insufficient Stock");
            }
        }
    }

    private void MoveStockEntry(JsonObject entry, int direction)
    {
        foreach (var line in entry.RowObjects("items"))
        {
            var qty = line.Dec("qty");
            if (line.Str("s_warehouse") is { Length: > 0 } source)
            {
                MoveBin(line.Str("item_code"), source, actual: -direction * qty);
            }

            if (line.Str("t_warehouse") is { Length: > 0 } target)
            {
                MoveBin(line.Str("item_code"), target, actual: direction * qty);
            }
        }
    }

    // ---- sales invoice and credit note -------------------------------------------------------------------

    private void CheckSalesInvoice(JsonObject invoice)
    {
        if (!invoice.Flag("is_return"))
        {
            return;
        }

        var againstName = invoice.Str("return_against");
        if (againstName.Length == 0)
        {
            throw FrappeException.Mandatory(SalesInvoice, "Return Against Sales Invoice");
        }

        var against = store.Find(SalesInvoice, againstName) ?? throw FrappeException.Link(SalesInvoice, againstName);
        if (against.Int("docstatus") != 1 || against.Flag("is_return"))
        {
            throw FrappeException.Validation($"Return Against {SalesInvoice} {againstName} must be a submitted invoice");
        }

        if (against.Str("customer") != invoice.Str("customer"))
        {
            throw FrappeException.Validation($"Customer {invoice.Str("customer")} does not match the customer of {SalesInvoice} {againstName}");
        }

        var earlierReturns = store.All(SalesInvoice)
            .Where(s => s.Int("docstatus") == 1 && s.Flag("is_return") && s.Str("return_against") == againstName)
            .SelectMany(s => s.RowObjects("items"))
            .ToList();
        var row = 0;
        foreach (var line in invoice.RowObjects("items"))
        {
            row++;
            var code = line.Str("item_code");
            var sold = against.RowObjects("items").Where(l => l.Str("item_code") == code).Sum(l => l.Dec("qty"));
            if (sold == 0m)
            {
                throw FrappeException.Validation($"Row #{row}: Returned Item {code} does not exist in {SalesInvoice} {againstName}");
            }

            var returned = -earlierReturns.Where(l => l.Str("item_code") == code).Sum(l => l.Dec("qty"));
            if (returned - line.Dec("qty") > sold)
            {
                throw FrappeException.Validation($"Row #{row}: Cannot return more than {sold - returned} for Item {code}");
            }
        }
    }

    private void MoveSalesInvoice(JsonObject invoice, int direction, string user)
    {
        var grand = invoice.Dec("grand_total");
        if (invoice.Flag("is_return"))
        {
            // The credit note reduces what the original invoice still has outstanding (it can go negative: a credit to the customer).
            var against = store.Get(SalesInvoice, invoice.Str("return_against"));
            against["outstanding_amount"] = against.Dec("outstanding_amount") + (direction * grand);
            RefreshInvoiceStatus(against);
            store.Touch(against, user);
            invoice["outstanding_amount"] = 0m;
            invoice["status"] = direction > 0 ? "Return" : "Cancelled";
        }
        else
        {
            invoice["outstanding_amount"] = direction > 0 ? grand : 0m;
            RefreshInvoiceStatus(invoice);
        }

        var touched = new Dictionary<string, JsonObject>();
        foreach (var line in invoice.RowObjects("items").Where(l => l.Str("sales_order").Length > 0))
        {
            var order = store.Find(SalesOrder, line.Str("sales_order"));
            var orderLine = order?.RowObjects("items").FirstOrDefault(l => l.Str("name") == line.Str("so_detail"))
                ?? order?.RowObjects("items").FirstOrDefault(l => l.Str("item_code") == line.Str("item_code"));
            if (order is null || orderLine is null)
            {
                continue;
            }

            orderLine["billed_amt"] = orderLine.Dec("billed_amt") + (direction * line.Dec("amount"));
            touched[order.Str("name")] = order;
        }

        foreach (var order in touched.Values)
        {
            RefreshOrderStatus(order);
            store.Touch(order, user);
        }
    }

    private static void RefreshInvoiceStatus(JsonObject invoice)
    {
        if (invoice.Int("docstatus") != 1 || invoice.Flag("is_return"))
        {
            return;
        }

        var outstanding = invoice.Dec("outstanding_amount");
        invoice["status"] = outstanding switch
        {
            < 0m => "Credit Note Issued",
            0m => "Paid",
            _ when outstanding < invoice.Dec("grand_total") => "Partly Paid",
            _ => "Unpaid",
        };
    }

    // ---- payment entry -----------------------------------------------------------------------------------

    private void ValidatePaymentEntry(JsonObject entry)
    {
        entry["payment_type"] ??= "Receive";
        if (entry.Str("payment_type") != "Receive")
        {
            throw FrappeException.Validation("The simulator supports Payment Entries of type Receive only");
        }

        entry["party_type"] ??= Customer;
        Require(entry, PaymentEntry, "party", "Party");
        _ = store.Find(Customer, entry.Str("party")) ?? throw FrappeException.Link(Customer, entry.Str("party"));
        if (entry.Dec("paid_amount") <= 0m)
        {
            throw FrappeException.Mandatory(PaymentEntry, "Paid Amount");
        }

        entry["received_amount"] ??= entry["paid_amount"]!.DeepClone();
        entry["company"] ??= company;
        entry["posting_date"] ??= store.Today();
        var allocated = 0m;
        var row = 0;
        foreach (var reference in entry.RowObjects("references"))
        {
            row++;
            if (reference.Str("reference_doctype") != SalesInvoice)
            {
                throw FrappeException.Validation($"Row #{row}: Reference Doctype must be one of Sales Order, Sales Invoice, Journal Entry or Dunning");
            }

            var invoice = store.Find(SalesInvoice, reference.Str("reference_name")) ?? throw FrappeException.Link(SalesInvoice, reference.Str("reference_name"));
            if (invoice.Str("customer") != entry.Str("party"))
            {
                throw FrappeException.Validation($"Row #{row}: {SalesInvoice} {invoice.Str("name")} does not belong to Customer {entry.Str("party")}");
            }

            reference["total_amount"] = invoice.Dec("grand_total");
            reference["outstanding_amount"] = invoice.Dec("outstanding_amount");
            allocated += reference.Dec("allocated_amount");
        }

        if (allocated > entry.Dec("paid_amount"))
        {
            throw FrappeException.Validation("Total Allocated Amount can not be greater than Paid Amount");
        }

        entry["total_allocated_amount"] = allocated;
        entry["unallocated_amount"] = entry.Dec("paid_amount") - allocated;
    }

    private void CheckPaymentEntry(JsonObject entry)
    {
        var row = 0;
        foreach (var reference in entry.RowObjects("references"))
        {
            row++;
            var invoice = store.Get(SalesInvoice, reference.Str("reference_name"));
            if (invoice.Int("docstatus") != 1)
            {
                throw FrappeException.Validation($"Row #{row}: {SalesInvoice} {invoice.Str("name")} is not submitted");
            }

            if (reference.Dec("allocated_amount") > invoice.Dec("outstanding_amount"))
            {
                throw FrappeException.Validation($"Row #{row}: Allocated Amount cannot be greater than outstanding amount.");
            }
        }
    }

    private void MovePaymentEntry(JsonObject entry, int direction, string user)
    {
        foreach (var reference in entry.RowObjects("references"))
        {
            var invoice = store.Get(SalesInvoice, reference.Str("reference_name"));
            invoice["outstanding_amount"] = invoice.Dec("outstanding_amount") - (direction * reference.Dec("allocated_amount"));
            RefreshInvoiceStatus(invoice);
            store.Touch(invoice, user);
        }
    }

    private void SetDocstatus(JsonObject doc, int docstatus, string user)
    {
        doc["docstatus"] = docstatus;
        store.Touch(doc, user);
    }
}
