using System.Globalization;
using System.Text.Json.Nodes;
using Storebridge.Sandbox.Erp.Frappe;
using Storebridge.Sandbox.Seed;

namespace Storebridge.Sandbox.Erp.Erp;

/// <summary>Turns the shared seed into ERPNext documents: masters, Item Prices, Bins and opening invoices for customer exposure.</summary>
internal static class SeedLoader
{
    private static readonly string[] DocTypes =
    [
        "Company", "Warehouse", "Item Group", "UOM", "Item Attribute", ErpRules.Item, "Price List", ErpRules.ItemPrice,
        ErpRules.Customer, "Customer Group", ErpRules.Bin, ErpRules.SalesOrder, ErpRules.DeliveryNote, ErpRules.SalesInvoice,
        ErpRules.PaymentEntry, ErpRules.StockEntry, "Item Tax Template", "Mode of Payment",
    ];

    public static void Load(DocStore store, ErpRules rules, SandboxData data)
    {
        foreach (var doctype in DocTypes)
        {
            store.EnsureDocType(doctype);
        }

        store.NotBefore(data.AsOf);
        var stamp = data.AsOf.UtcDateTime.ToString(DocStore.DateTimeFormat, CultureInfo.InvariantCulture);
        var company = data.Company;
        store.Insert("Company", company.Name, new JsonObject
        {
            ["company_name"] = company.Name,
            ["abbr"] = company.Abbreviation,
            ["default_currency"] = company.Currency,
            ["country"] = company.Country == "US" ? "United States" : company.Country,
        }, stamp);

        foreach (var warehouse in data.Warehouses)
        {
            store.Insert("Warehouse", warehouse.Id, new JsonObject
            {
                ["warehouse_name"] = warehouse.Id[..warehouse.Id.LastIndexOf(" - ", StringComparison.Ordinal)],
                ["company"] = company.Name,
                ["city"] = warehouse.City,
                ["country"] = warehouse.Country,
                ["is_group"] = 0,
            }, stamp);
        }

        foreach (var uom in data.Uoms)
        {
            store.Insert("UOM", uom, new JsonObject { ["uom_name"] = uom, ["must_be_whole_number"] = uom == "Kg" ? 0 : 1 }, stamp);
        }

        foreach (var group in data.ItemGroups)
        {
            store.Insert("Item Group", group.Name, new JsonObject
            {
                ["item_group_name"] = group.Name,
                ["parent_item_group"] = group.Parent ?? "",
                ["is_group"] = data.ItemGroups.Any(g => g.Parent == group.Name) ? 1 : 0,
                ["route"] = group.Slug,
            }, stamp);
        }

        foreach (var taxClass in data.TaxClasses)
        {
            store.Insert("Item Tax Template", $"{taxClass.Name} - {company.Abbreviation}", new JsonObject
            {
                ["title"] = taxClass.Name,
                ["company"] = company.Name,
            }, stamp);
        }

        foreach (var mode in new[] { "Cash", "Credit Card", "Bank Draft", "Wire Transfer" })
        {
            store.Insert("Mode of Payment", mode, new JsonObject { ["mode_of_payment"] = mode, ["type"] = mode == "Cash" ? "Cash" : "Bank" }, stamp);
        }

        foreach (var attribute in data.Attributes)
        {
            store.Insert("Item Attribute", attribute.Name, new JsonObject
            {
                ["attribute_name"] = attribute.Name,
                ["item_attribute_values"] = new JsonArray([.. attribute.Values.Select(v => new JsonObject { ["attribute_value"] = v.Value, ["abbr"] = v.Abbreviation })]),
            }, stamp);
        }

        var taxTemplate = data.TaxClasses.ToDictionary(t => t.Code, t => $"{t.Name} - {company.Abbreviation}");
        foreach (var item in data.Items)
        {
            store.Insert(ErpRules.Item, item.Sku, ItemDoc(item, item.Sku, item.Name, item.Disabled, null, [], taxTemplate), stamp);
            foreach (var variant in item.Variants)
            {
                store.Insert(ErpRules.Item, variant.Sku, ItemDoc(item, variant.Sku, variant.Name, item.Disabled || variant.Disabled, item.Sku, variant.Attributes, taxTemplate), stamp);
            }
        }

        foreach (var list in data.PriceLists)
        {
            store.Insert("Price List", list.Name, new JsonObject
            {
                ["price_list_name"] = list.Name,
                ["currency"] = list.Currency,
                ["selling"] = 1,
                ["buying"] = 0,
                ["enabled"] = 1,
            }, stamp);
        }

        foreach (var price in data.Prices)
        {
            store.Insert(ErpRules.ItemPrice, store.NextHash(), new JsonObject
            {
                ["item_code"] = price.Sku,
                ["price_list"] = price.PriceList,
                ["price_list_rate"] = price.Rate,
                ["currency"] = price.Currency,
                ["selling"] = 1,
                ["customer"] = price.CustomerId,
                ["valid_from"] = price.ValidFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["valid_upto"] = price.ValidUntil?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            }, stamp);
        }

        foreach (var group in data.Customers.Select(c => c.CustomerGroup).Distinct())
        {
            store.Insert("Customer Group", group, new JsonObject { ["customer_group_name"] = group, ["is_group"] = 0 }, stamp);
        }

        foreach (var customer in data.Customers)
        {
            var business = customer.Kind == SeedCustomerKind.Business;
            store.Insert(ErpRules.Customer, customer.Id, new JsonObject
            {
                ["customer_name"] = customer.DisplayName,
                ["customer_type"] = business ? "Company" : "Individual",
                ["customer_group"] = customer.CustomerGroup,
                ["territory"] = customer.Address.Country == "US" ? "United States" : "Rest Of The World",
                ["tax_id"] = customer.TaxId,
                ["tax_category"] = customer.TaxExempt ? "Exempt" : "",
                ["default_currency"] = customer.Currency,
                ["default_price_list"] = customer.PriceList,
                ["email_id"] = customer.Email,
                ["mobile_no"] = customer.Phone,
                ["payment_terms"] = customer.PaymentTermsDays > 0 ? $"Net {customer.PaymentTermsDays}" : "",
                ["disabled"] = 0,
                ["credit_limits"] = business
                    ? new JsonArray(new JsonObject { ["company"] = company.Name, ["credit_limit"] = customer.CreditLimit, ["bypass_credit_limit_check"] = 0 })
                    : new JsonArray(),
            }, stamp);

            if (customer.OutstandingAmount > 0m)
            {
                // Opening invoices carry the exposure the customer starts with, as a migration into ERPNext would.
                store.Insert(ErpRules.SalesInvoice, store.NextName("ACC-SINV-OPEN-"), new JsonObject
                {
                    ["customer"] = customer.Id,
                    ["customer_name"] = customer.DisplayName,
                    ["company"] = company.Name,
                    ["is_opening"] = "Yes",
                    ["is_return"] = 0,
                    ["posting_date"] = data.AsOf.AddDays(-20).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["due_date"] = data.AsOf.AddDays(-20 + customer.PaymentTermsDays).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["currency"] = customer.Currency,
                    ["po_no"] = $"OPENING-{customer.Id}",
                    ["net_total"] = customer.OutstandingAmount,
                    ["grand_total"] = customer.OutstandingAmount,
                    ["outstanding_amount"] = customer.OutstandingAmount,
                    ["status"] = "Unpaid",
                    ["docstatus"] = 1,
                    ["items"] = new JsonArray(),
                }, stamp);
            }
        }

        foreach (var stock in data.Stock)
        {
            var bin = rules.BinFor(stock.Sku, stock.WarehouseId, stamp);
            bin["actual_qty"] = (decimal)stock.OnHand;
            bin["projected_qty"] = (decimal)stock.OnHand;
        }
    }

    private static JsonObject ItemDoc(SeedItem item, string code, string name, bool disabled, string? variantOf, IReadOnlyList<KeyValuePair<string, string>> attributes, Dictionary<string, string> taxTemplate) => new()
    {
        ["item_code"] = code,
        ["item_name"] = name,
        ["description"] = item.Description,
        ["item_group"] = item.ItemGroup,
        ["stock_uom"] = item.StockUom,
        ["is_stock_item"] = 1,
        ["has_variants"] = variantOf is null && item.HasVariants ? 1 : 0,
        ["variant_of"] = variantOf,
        ["disabled"] = disabled ? 1 : 0,
        ["weight_per_unit"] = item.WeightKg,
        ["weight_uom"] = "Kg",
        ["taxes"] = new JsonArray(new JsonObject { ["item_tax_template"] = taxTemplate[item.TaxClass], ["tax_category"] = "" }),
        ["attributes"] = variantOf is null && item.HasVariants
            ? new JsonArray([.. item.Attributes.Select(a => new JsonObject { ["attribute"] = a })])
            : new JsonArray([.. attributes.Select(a => new JsonObject { ["attribute"] = a.Key, ["attribute_value"] = a.Value })]),
    };
}
